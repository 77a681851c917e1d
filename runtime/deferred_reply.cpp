#include "dxhub/runtime/deferred_reply.hpp"

#include "dxhub/schemas/clock.hpp"

namespace dxhub::runtime {

deferred_reply::deferred_reply(caf::typed_response_promise<reply> promise, reply skeleton,
                               bool packed, int64_t started_ns)
  : state_(std::make_shared<state>(
      state{std::move(promise), std::move(skeleton), packed, started_ns, false})) {}

void deferred_reply::fail(error e) {
  if (!pending())
    return;
  reply r = state_->skeleton;
  r.code = e.code;
  r.error_context = std::move(e.context);
  r.result = json_text{};
  r.packed_result = {};
  send(std::move(r));
}

void deferred_reply::send(reply r) {
  state_->answered = true;
  r.service_ns = monotonic_ns() - state_->started_ns;
  state_->promise.deliver(std::move(r));
}

} // namespace dxhub::runtime
