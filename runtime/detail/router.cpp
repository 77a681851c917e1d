#include "dxhub/runtime/detail/router.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/quiet.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"

#include <caf/all.hpp>

namespace dxhub::runtime::detail {

namespace {

void audit(node* owner, const command& cmd, const reply* r, const error* e, int64_t started) {
  audit_record rec;
  rec.wall_ns = wall_ns();
  rec.kind = "command";
  rec.caller = cmd.caller;
  rec.target = cmd.service;
  rec.action = cmd.name;
  rec.args = cmd.args;
  rec.latency_ns = monotonic_ns() - started;
  if (r != nullptr) {
    rec.result = r->result;
    if (!r->ok())
      rec.error = std::string{name(r->code)} + ": " + r->error_context;
  } else if (e != nullptr) {
    rec.error = std::string{name(e->code)} + ": " + e->context;
  }
  event ev;
  ev.topic = "dxhub/audit/command";
  ev.source = cmd.caller;
  ev.kind = "command";
  ev.data = json_text{encode_json(rec)};
  owner->emit(std::move(ev));
}

} // namespace

namespace {

using router_actor = caf::stateful_actor<router_state>;

/// Answers call `id` (if still pending) with a reply or an error, audited.
void finish(router_actor* self, node* owner, uint64_t id, const reply* r, const error* e) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end())
    return; // already failed by the service's death
  auto call = std::move(it->second);
  self->state.pending.erase(it);
  audit(owner, call.cmd, r, e, call.started_ns);
  if (r != nullptr)
    call.promise.deliver(*r);
  else
    call.promise.deliver(to_caf_error(*e));
}

error describe_failure(const command& cmd, std::chrono::milliseconds timeout, caf::error& err) {
  auto e = from_caf_error(err);
  if (e.code == errc::timeout)
    e.context = "service '" + cmd.service + "' did not answer '" + cmd.name + "' within "
                + std::to_string(timeout.count()) + " ms";
  else if (e.code == errc::peer_down && e.context.find(cmd.service) == std::string::npos)
    e.context = "service '" + cmd.service + "' is down: " + e.context;
  return e;
}

void watch(router_actor* self, node* owner, const caf::actor& service) {
  if (!self->state.watched.insert(service.address()).second)
    return;
  self->monitor(service);
  (void)owner;
}

void fail_calls_to(router_actor* self, node* owner, const caf::down_msg& down) {
  self->state.watched.erase(down.source);
  std::vector<uint64_t> dead;
  for (auto& [id, call] : self->state.pending)
    if (call.service == down.source)
      dead.push_back(id);
  for (auto id : dead) {
    const auto& cmd = self->state.pending.at(id).cmd;
    error e{errc::peer_down, "service '" + cmd.service + "' went down during '" + cmd.name
                                 + "': " + self->system().render(down.reason)};
    finish(self, owner, id, nullptr, &e);
  }
}

/// A call to a service of another node, over its ZeroMQ endpoint.
void call_remote(router_actor* self, node* owner, uint64_t id, const service& svc,
                 const command& cmd, std::chrono::milliseconds timeout) {
  auto* net = owner->network();
  if (net == nullptr || svc.record.endpoints.empty()) {
    error e{errc::peer_down, "service '" + cmd.service + "' has no reachable endpoint"};
    finish(self, owner, id, nullptr, &e);
    return;
  }
  net->call(
      svc.record.endpoints.front(), cmd, timeout,
      [me = caf::actor{self}, id](expected<reply> r) {
        if (r)
          caf::anon_send(me, net_done_atom::value, id, std::move(r).value());
        else
          caf::anon_send(me, net_done_atom::value, id, to_caf_error(r.error()));
      },
      curve_key_of(svc.record));
}

/// A command from another node for a service of this one.
void serve_remote(router_actor* self, node* owner, const command& cmd, remote_caller caller) {
  auto found = owner->services().find(cmd.service);
  if (!found) {
    caller.answer.fail(error{errc::unknown_service,
                             "no service '" + cmd.service + "' on node '" + owner->name() + "'"});
    return;
  }
  auto timeout = std::chrono::milliseconds{cmd.timeout_ms > 0 ? cmd.timeout_ms : 2000};
  self->request(found->handle, timeout, cmd)
      .then([caller](const reply& r) mutable { caller.answer.reply(r); },
            [caller, cmd, timeout](caf::error& err) mutable {
              caller.answer.fail(describe_failure(cmd, timeout, err));
            });
}

void remote_failed(router_actor* self, node* owner, uint64_t id, const caf::error& err) {
  auto e = from_caf_error(err);
  if (auto it = self->state.pending.find(id); it != self->state.pending.end()) {
    const auto& cmd = it->second.cmd;
    if (e.code == errc::peer_down)
      e.context = "service '" + cmd.service + "' went down during '" + cmd.name + "': " + e.context;
    else if (e.code == errc::timeout)
      e.context = "service '" + cmd.service + "' did not answer '" + cmd.name + "' within "
                  + std::to_string(cmd.timeout_ms) + " ms";
  }
  finish(self, owner, id, nullptr, &e);
}

} // namespace

caf::behavior router(caf::stateful_actor<router_state>* self, node* owner) {
  ignore_unexpected(self);
  self->set_down_handler([=](caf::down_msg& down) { fail_calls_to(self, owner, down); });
  return {
      [=](call_atom, const service& svc, const command& cmd) -> caf::result<reply> {
        auto id = ++self->state.next_call;
        auto promise = self->make_response_promise<reply>();
        auto timeout = std::chrono::milliseconds{cmd.timeout_ms > 0 ? cmd.timeout_ms : 2000};
        self->state.pending.emplace(
            id, router_state::pending_call{svc.handle.address(), cmd, monotonic_ns(), promise});
        if (svc.via == transport::zmq) {
          call_remote(self, owner, id, svc, cmd, timeout);
          return promise;
        }
        watch(self, owner, svc.handle);
        self->request(svc.handle, timeout, cmd)
            .then([=](const reply& r) { finish(self, owner, id, &r, nullptr); },
                  [=](caf::error& err) {
                    auto e = describe_failure(cmd, timeout, err);
                    finish(self, owner, id, nullptr, &e);
                  });
        return promise;
      },
      [=](net_done_atom, uint64_t id, const reply& r) { finish(self, owner, id, &r, nullptr); },
      [=](net_done_atom, uint64_t id, const caf::error& err) {
        remote_failed(self, owner, id, err);
      },
      [=](net_call_atom, const command& cmd, const remote_caller& caller) {
        serve_remote(self, owner, cmd, caller);
      },
  };
}

} // namespace dxhub::runtime::detail
