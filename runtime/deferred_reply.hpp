#pragma once

// The answer to a command that its handler gives later: a stage told
// `move_to` answers when it arrives, not when the motion starts. The caller's
// timeout still applies (an answer after it is dropped, the caller already
// has its `request_timeout`), and a service that never answers is caught the
// same way.
//
//   cmds.on_deferred<target>("move_to", [=](const target& t, runtime::deferred_reply done) {
//     start_motion(self, t);
//     self->state.arrival = std::move(done);       // answered in the motion's last step:
//   });                                            // done.deliver(position{...});

#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/json_text.hpp"
#include "dxhub/schemas/packing.hpp"
#include "dxhub/schemas/reply.hpp"

#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace dxhub::runtime {

namespace detail {

/// Writes a handler's result into `r`: nothing, JSON, a described value
/// (packed when the caller packed its arguments), an `expected` of these, or
/// anything nlohmann can write. An unexpected `expected` is returned as the error.
template <class R>
expected<void> fill_result(R&& result, bool packed, reply& r) {
  using value_type = std::remove_cvref_t<R>;
  if constexpr (std::is_void_v<value_type>) {
    r.result = json_text{"null"};
  } else if constexpr (std::is_same_v<value_type, nlohmann::json>) {
    r.result = json_text{result.dump()};
  } else if constexpr (requires {
                         result.has_value();
                         result.error();
                       }) {
    if (!result)
      return result.error();
    if constexpr (std::is_void_v<typename value_type::value_type>)
      r.result = json_text{"null"};
    else
      return fill_result(std::forward<R>(result).value(), packed, r);
  } else if constexpr (described<value_type>) {
    if (packed) {
      r.packed_result = pack(result);
      r.result = json_text{"null"};
    } else {
      r.result = json_text{encode_json(result)};
    }
  } else {
    r.result = json_text{nlohmann::json(std::forward<R>(result)).dump()};
  }
  return ok();
}

} // namespace detail

/// A promise to answer one command. Copies share it; the first answer counts,
/// later ones are ignored. Use it only from the actor that serves the command.
class deferred_reply {
public:
  deferred_reply() = default;

  /// Made by the command table when a deferred command arrives.
  deferred_reply(caf::typed_response_promise<reply> promise, reply skeleton, bool packed,
                 int64_t started_ns);

  /// Answers with `value` (nothing, JSON, a described type, an `expected`).
  template <class R>
  void deliver(R&& value) {
    if (!pending())
      return;
    reply r = state_->skeleton;
    if (auto filled = detail::fill_result(std::forward<R>(value), state_->packed, r); !filled) {
      fail(filled.error());
      return;
    }
    send(std::move(r));
  }

  /// Answers with no result (`null`).
  void deliver() { deliver(nlohmann::json()); }

  /// Answers with an error, e.g. `{errc::service_error, "stage hit its limit switch"}`.
  void fail(error e);

  /// True while the command waits for its answer.
  bool pending() const noexcept { return state_ && !state_->answered; }

private:
  struct state {
    caf::typed_response_promise<reply> promise;
    reply skeleton;
    bool packed = false;
    int64_t started_ns = 0;
    bool answered = false;
  };

  void send(reply r);

  std::shared_ptr<state> state_;
};

} // namespace dxhub::runtime
