#pragma once

#include "dxhub/runtime/frame.hpp"
#include "dxhub/runtime/policy.hpp"
#include "dxhub/runtime/publish_report.hpp"
#include "dxhub/runtime/publisher_options.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/frame_view.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace dxhub::runtime {

class node;

namespace detail {
class channel_writer;
class writable_frame;
class subscription_state;
} // namespace detail

/// A frame loaned from the channel's pool, written in place, then published.
class loaned_frame {
public:
  loaned_frame() = default;
  explicit loaned_frame(std::shared_ptr<detail::writable_frame> f) : frame_(std::move(f)) {}

  /// The header: set `experiment_time` and `meta`; the publisher fills the rest.
  frame_header& header() noexcept;
  std::span<std::byte> payload() noexcept;
  mutable_frame_view view() noexcept;

  /// Field `name` as a writable typed span.
  template <class T>
  auto field(std::string_view name) noexcept {
    return view().field<T>(name);
  }

  /// The shared-memory chunk being written, if the channel uses one.
  std::optional<uint32_t> chunk_index() const noexcept;

  explicit operator bool() const noexcept { return frame_ != nullptr; }

private:
  friend class publisher;
  std::shared_ptr<detail::writable_frame> frame_;
};

/// The right to publish frames on one channel, held by the publishing actor.
class publisher {
public:
  publisher() = default;
  explicit publisher(std::shared_ptr<detail::channel_writer> writer) : writer_(std::move(writer)) {}

  explicit operator bool() const noexcept { return writer_ != nullptr; }

  const std::string& channel() const noexcept;
  const frame_schema& schema() const noexcept;
  /// Changes when a publisher restarts; subscribers see it in the header.
  uint64_t session() const noexcept;
  /// How frames of this channel leave the process ("shm" or "in_process").
  runtime::transport transport() const noexcept;

  /// Loans a chunk to write a frame in place.
  expected<loaned_frame> loan();

  /// Publishes a loaned frame: sequence, session and timestamps are set here.
  expected<publish_report> publish(loaned_frame frame);

  /// Copies `payload` into a loaned frame and publishes it.
  expected<publish_report> publish_copy(std::span<const std::byte> payload,
                                        double experiment_time = 0);

private:
  std::shared_ptr<detail::channel_writer> writer_;
};

/// Starts publishing frames of `schema` on `channel` for actor `self`; the
/// channel closes when the returned publisher and its copies are gone.
expected<publisher> publish(caf::local_actor* self, const std::string& channel,
                            const frame_schema& schema, const publisher_options& options = {});

/// The same for code that is not an actor (tools, tests).
expected<publisher> publish(node& n, const std::string& channel, const frame_schema& schema,
                            const publisher_options& options = {});

/// Counters of one subscription.
struct subscription_stats {
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t slow = 0;
};

/// A subscription of one actor to one channel. It lasts until the actor
/// terminates or `cancel()` is called; dropping this handle does not end it.
class subscription {
public:
  subscription() = default;
  explicit subscription(std::shared_ptr<detail::subscription_state> s) : state_(std::move(s)) {}

  const std::string& channel() const noexcept;
  /// How frames reach the subscriber (known once the publisher is found).
  runtime::transport transport() const noexcept;
  subscription_stats stats() const noexcept;
  void cancel();

private:
  std::shared_ptr<detail::subscription_state> state_;
};

/// Subscribes actor `self` to `channel`: frames arrive in its mailbox as
/// `dxhub::runtime::frame`, and changes of the channel (publisher found, gone,
/// back; schema refused) as `channel_status`. The publisher may start later.
expected<subscription> subscribe(caf::local_actor* self, const std::string& channel,
                                 const subscription_options& options = {});

} // namespace dxhub::runtime
