#include "dxhub/runtime/detail/remote_calls.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/call_errors.hpp"
#include "dxhub/runtime/detail/command_audit.hpp"
#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"

#include <caf/actor_companion.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>

namespace dxhub::runtime::detail {

namespace {

caf::actor_companion* companion_of(const caf::actor& a) {
  return static_cast<caf::actor_companion*>(caf::actor_cast<caf::abstract_actor*>(a));
}

} // namespace

remote_calls::remote_calls(node& owner) : owner_(owner) {
  auto& sys = owner.system();
  // Companions: their enqueue runs our handler on the sender's thread.
  outgoing_ = sys.spawn<caf::actor_companion, caf::hidden>();
  incoming_ = sys.spawn<caf::actor_companion, caf::hidden>();
  companion_of(outgoing_)->on_enqueue([this](caf::mailbox_element_ptr m) { send(std::move(m)); });
  companion_of(incoming_)->on_enqueue(
      [this](caf::mailbox_element_ptr m) { on_service_answer(std::move(m)); });
}

remote_calls::~remote_calls() {
  stop();
}

void remote_calls::stop() {
  // Clearing the handler waits for the ones running now (it takes the
  // companion's lock); none runs afterwards. (CAF 0.17.6 declares
  // actor_companion::disconnect but does not define it.)
  // The handles stay: the network thread may still answer a caller.
  for (const auto* gate : {&outgoing_, &incoming_})
    companion_of(*gate)->on_enqueue({});
  std::map<uint64_t, waiting_call> left;
  {
    std::lock_guard lock{mutex_};
    left.swap(waiting_);
  }
  for (auto& [id, call] : left)
    call.answer.fail(error{errc::peer_down, "node '" + owner_.name() + "' is stopping"});
}

// -- the caller's side --------------------------------------------------------------

void remote_calls::respond(const caf::strong_actor_ptr& to, caf::message_id mid,
                           caf::message content) {
  if (to)
    to->get()->enqueue(caf::actor_cast<caf::strong_actor_ptr>(outgoing_), mid.response_id(),
                       std::move(content), nullptr);
}

void remote_calls::send(caf::mailbox_element_ptr request) {
  if (!request->mid.is_request())
    return; // nobody waits for an answer
  const auto& content = request->content();
  if (!content.match_elements<call_atom, service, command>()) {
    respond(request->sender, request->mid,
            caf::make_message(make_error(errc::invalid_argument,
                                         "a remote call takes (call_atom, service, command)")));
    return;
  }
  const auto& svc = content.get_as<service>(1);
  auto cmd = content.get_as<command>(2);
  auto* net = owner_.network();
  if (net == nullptr || svc.record.endpoints.empty()) {
    respond(request->sender, request->mid,
            caf::make_message(make_error(errc::peer_down, "service '" + cmd.service
                                                              + "' has no reachable endpoint")));
    return;
  }
  auto done = [this, to = request->sender, mid = request->mid, cmd,
               started = monotonic_ns()](expected<reply> r) {
    // The caller first, the audit record after: it is not on the caller's path.
    if (r) {
      respond(to, mid, caf::make_message(r.value()));
      audit_command(owner_, cmd, &r.value(), nullptr, started);
    } else {
      auto e = describe_call_failure(cmd, r.error());
      respond(to, mid, caf::make_message(to_caf_error(e)));
      audit_command(owner_, cmd, nullptr, &e, started);
    }
  };
  auto timeout = call_timeout(cmd);
  net->call(svc.record.endpoints.front(), std::move(cmd), timeout, std::move(done),
            curve_key_of(svc.record));
}

// -- the service's side -------------------------------------------------------------

void remote_calls::serve(command cmd, zmq::responder answer) {
  auto found = owner_.services().find(cmd.service);
  if (!found) {
    answer.fail(error{errc::unknown_service,
                      "no service '" + cmd.service + "' on node '" + owner_.name() + "'"});
    return;
  }
  auto id = next_id_.fetch_add(1) + 1;
  auto timeout = call_timeout(cmd);
  {
    std::lock_guard lock{mutex_};
    waiting_.emplace(
        id, waiting_call{std::move(answer), found->handle.address(), cmd.service, cmd.name});
  }
  watch(found->handle);
  found->handle->enqueue(caf::actor_cast<caf::strong_actor_ptr>(incoming_),
                         caf::make_message_id(id), caf::make_message(std::move(cmd)), nullptr);
  if (auto* net = owner_.network())
    net->after(timeout, [this, id, timeout] { expire(id, timeout); });
}

std::optional<remote_calls::waiting_call> remote_calls::take(uint64_t id) {
  std::lock_guard lock{mutex_};
  auto it = waiting_.find(id);
  if (it == waiting_.end())
    return std::nullopt;
  auto call = std::move(it->second);
  waiting_.erase(it);
  return call;
}

void remote_calls::on_service_answer(caf::mailbox_element_ptr response) {
  if (!response->mid.is_response())
    return;
  auto call = take(response->mid.integer_value() & caf::message_id::request_id_mask);
  if (!call)
    return; // late: already failed by its timeout
  const auto& content = response->content();
  if (content.match_elements<reply>()) {
    call->answer.reply(content.get_as<reply>(0));
  } else if (content.match_elements<caf::error>()) {
    auto e = from_caf_error(content.get_as<caf::error>(0));
    if (e.code == errc::peer_down)
      e = service_went_down(call->service_name, call->command_name, e.context);
    call->answer.fail(e);
  } else {
    call->answer.fail(error{errc::service_error, "service '" + call->service_name + "' answered '"
                                                     + call->command_name
                                                     + "' with something else than a reply"});
  }
}

void remote_calls::expire(uint64_t id, std::chrono::milliseconds timeout) {
  if (auto call = take(id))
    call->answer.fail(service_did_not_answer(call->service_name, call->command_name, timeout));
}

void remote_calls::watch(const caf::actor& service) {
  {
    std::lock_guard lock{mutex_};
    if (!watched_.insert(service.address()).second)
      return;
  }
  // The service may outlive this node: reach it only while it exists.
  service->attach_functor([sys = &owner_.system(), who = service.address()](const caf::error& why) {
    node::with_node(*sys, [&](node& n) { n.calls().service_down(who, sys->render(why)); });
  });
}

void remote_calls::service_down(const caf::actor_addr& who, const std::string& why) {
  std::vector<waiting_call> dead;
  {
    std::lock_guard lock{mutex_};
    watched_.erase(who);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.service == who) {
        dead.push_back(std::move(it->second));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& call : dead)
    call.answer.fail(service_went_down(call.service_name, call.command_name, why));
}

} // namespace dxhub::runtime::detail
