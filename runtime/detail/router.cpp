#include "dxhub/runtime/detail/router.hpp"

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/call_errors.hpp"
#include "dxhub/runtime/detail/command_audit.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/quiet.hpp"
#include "dxhub/runtime/detail/remote_calls.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/found_service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"

#include <caf/all.hpp>

namespace dxhub::runtime::detail {

namespace {

using router_actor = caf::stateful_actor<router_state>;

/// Answers call `id` (if still pending) with a reply or an error, audited.
void finish(router_actor* self, node_parts* owner, uint64_t id, const reply* r, const error* e) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end())
    return; // already failed by the service's death
  auto call = std::move(it->second);
  self->state.pending.erase(it);
  audit_command(*owner, call.cmd, r, e, call.started_ns);
  if (r != nullptr)
    call.promise.deliver(*r);
  else
    call.promise.deliver(to_caf_error(*e));
}

void watch(router_actor* self, const caf::actor& service) {
  if (self->state.watched.insert(service.address()).second)
    self->monitor(service);
}

void fail_calls_to(router_actor* self, node_parts* owner, const caf::down_msg& down) {
  self->state.watched.erase(down.source);
  std::vector<uint64_t> dead;
  for (auto& [id, call] : self->state.pending)
    if (call.service == down.source)
      dead.push_back(id);
  for (auto id : dead) {
    const auto& cmd = self->state.pending.at(id).cmd;
    auto e = service_went_down(cmd.service, cmd.name, self->system().render(down.reason));
    finish(self, owner, id, nullptr, &e);
  }
}

} // namespace

caf::behavior router(caf::stateful_actor<router_state>* self, node_parts* owner) {
  ignore_unexpected(self);
  self->set_down_handler([=](caf::down_msg& down) { fail_calls_to(self, owner, down); });
  return {
      [=](call_atom, const service& svc, const command& cmd) -> caf::result<reply> {
        auto promise = self->make_response_promise<reply>();
        if (svc.via == transport::zmq) { // another node's: callers usually go there directly
          promise.delegate(owner->calls->gate(), call_atom::value, svc, cmd);
          return promise;
        }
        auto id = ++self->state.next_call;
        auto timeout = call_timeout(cmd);
        self->state.pending.emplace(
            id, router_state::pending_call{svc.handle.address(), cmd, monotonic_ns(), promise});
        watch(self, svc.handle);
        self->request(svc.handle, timeout, cmd)
            .then([=](const reply& r) { finish(self, owner, id, &r, nullptr); },
                  [=](caf::error& err) {
                    auto e = describe_call_failure(cmd, from_caf_error(err));
                    finish(self, owner, id, nullptr, &e);
                  });
        return promise;
      },
  };
}

} // namespace dxhub::runtime::detail
