#include "dxhub/runtime/detail/remote_calls.hpp"

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/call_errors.hpp"
#include "dxhub/runtime/detail/command_audit.hpp"
#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/found_service.hpp"
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

void respond_to(const caf::strong_actor_ptr& to, caf::message_id mid,
                const caf::strong_actor_ptr& from, caf::message content) {
  if (to)
    to->get()->enqueue(from, mid.response_id(), std::move(content), nullptr);
}

/// The answer a remote caller waits for, given exactly once. Callers wait
/// without a CAF timeout of their own (`call` sets none for a remote service:
/// it would wake the CAF clock thread on every call); this is their guarantee:
/// the network answers by the call's deadline, and a call dropped unanswered
/// (its node stops with the call still queued) answers with an error when the
/// last copy of its completion goes away.
class caller_answer {
public:
  caller_answer(caf::strong_actor_ptr to, caf::message_id mid, caf::strong_actor_ptr gate,
                std::string service, std::string node)
    : to_(std::move(to)), mid_(mid), gate_(std::move(gate)), service_(std::move(service)),
      node_(std::move(node)) {}
  ~caller_answer() {
    give(caf::make_message(
        to_caf_error({errc::peer_down,
                      "node '" + node_ + "' stopped before service '" + service_ + "' answered"})));
  }
  caller_answer(const caller_answer&) = delete;
  caller_answer& operator=(const caller_answer&) = delete;

  void give(caf::message content) {
    if (auto to = std::move(to_))
      respond_to(to, mid_, gate_, std::move(content));
  }

private:
  caf::strong_actor_ptr to_;
  caf::message_id mid_;
  caf::strong_actor_ptr gate_;
  std::string service_;
  std::string node_;
};

} // namespace

remote_calls::remote_calls(node_parts& owner) : owner_(owner) {
  lifeline_->calls = this;
  auto& sys = owner.sys;
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
  {
    std::lock_guard lock{lifeline_->mutex};
    lifeline_->calls = nullptr;
  }
  // Replacing a handler waits for the ones running now (it takes the
  // companion's lock); none runs afterwards. (CAF 0.17.6 declares
  // actor_companion::disconnect but does not define it.)
  // The handles stay: the network thread may still answer a caller. A call
  // that comes now is answered at once: its caller sets no timeout.
  companion_of(outgoing_)->on_enqueue(
      // The gate by a weak handle: a strong one in its own handler would keep
      // it alive forever.
      [gate = outgoing_.address(),
       why = "node '" + owner_.name() + "' is stopping"](caf::mailbox_element_ptr m) {
        if (!m->mid.is_request())
          return;
        error e{errc::peer_down, why};
        if (m->content().match_elements<call_atom, service, command>())
          e = describe_call_failure(m->content().get_as<command>(2), e);
        respond_to(m->sender, m->mid, caf::actor_cast<caf::strong_actor_ptr>(gate),
                   caf::make_message(to_caf_error(e)));
      });
  companion_of(incoming_)->on_enqueue({});
  std::map<uint64_t, waiting_call> left;
  {
    std::lock_guard lock{mutex_};
    left.swap(waiting_);
  }
  error stopping{errc::peer_down, "node '" + owner_.name() + "' is stopping"};
  for (auto& [id, call] : left)
    answer(call, nullptr, &stopping);
}

// -- the caller's side --------------------------------------------------------------

void remote_calls::respond(const caf::strong_actor_ptr& to, caf::message_id mid,
                           caf::message content) {
  respond_to(to, mid, caf::actor_cast<caf::strong_actor_ptr>(outgoing_), std::move(content));
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
  // The request is ours alone: its command is moved out, not copied (its
  // arguments may be kilobytes).
  auto cmd =
      std::make_shared<const command>(std::move(request->content().get_mutable_as<command>(2)));
  auto* net = owner_.net;
  if (net == nullptr || svc.record.endpoints.empty()) {
    respond(request->sender, request->mid,
            caf::make_message(make_error(errc::peer_down, "service '" + cmd->service
                                                              + "' has no reachable endpoint")));
    return;
  }
  auto answer = std::make_shared<caller_answer>(request->sender, request->mid,
                                                caf::actor_cast<caf::strong_actor_ptr>(outgoing_),
                                                cmd->service, owner_.name());
  auto done = [this, answer, cmd, started = monotonic_ns()](expected<reply> r) {
    if (r) {
      answer->give(caf::make_message(std::move(r).value()));
      return;
    }
    auto e = describe_call_failure(*cmd, r.error());
    answer->give(caf::make_message(to_caf_error(e)));
    // The serving node records the calls it answers; the caller only those
    // that may never have reached it (its node down, no answer in time).
    if (e.code == errc::timeout || e.code == errc::peer_down || e.code == errc::unauthenticated)
      audit_command(owner_, *cmd, nullptr, &e, started);
  };
  net->peers().call(svc.record.endpoints.front(), *cmd, call_timeout(*cmd), std::move(done),
                    curve_key_of(svc.record));
}

// -- the service's side -------------------------------------------------------------

void remote_calls::serve(command cmd, zmq::responder answer) {
  auto started = monotonic_ns();
  auto found = owner_.services->find(cmd.service);
  if (!found) {
    error e{errc::unknown_service,
            "no service '" + cmd.service + "' on node '" + owner_.name() + "'"};
    answer.fail(e);
    audit_command(owner_, cmd, nullptr, &e, started);
    return;
  }
  auto id = next_id_.fetch_add(1) + 1;
  auto timeout = call_timeout(cmd);
  // Called on the network thread: the deadline is set before anyone can answer.
  auto* net = owner_.net;
  auto timer = net != nullptr ? net->after(timeout, [this, id, timeout] { expire(id, timeout); })
                              : uint64_t{0};
  // One message for the service and the audit record (reference-counted).
  auto msg = caf::make_message(std::move(cmd));
  {
    std::lock_guard lock{mutex_};
    waiting_.emplace(id,
                     waiting_call{std::move(answer), found->handle.address(), msg, started, timer});
  }
  watch(found->handle);
  auto deliver = [service = found->handle, from = caf::actor_cast<caf::strong_actor_ptr>(incoming_),
                  id, msg = std::move(msg)]() mutable {
    service->enqueue(std::move(from), caf::make_message_id(id), std::move(msg), nullptr);
  };
  if (net == nullptr) {
    deliver();
    return;
  }
  // The service's answer then finds the network thread asleep and is sent
  // by the service's own thread.
  net->hand_over(std::move(deliver));
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
  // A deadline left to fire would wake the network thread for nothing.
  if (auto* net = owner_.net)
    net->cancel(call->timer);
  const auto& content = response->content();
  const auto& cmd = call->cmd();
  if (content.match_elements<reply>()) {
    answer(*call, &content.get_as<reply>(0), nullptr);
  } else if (content.match_elements<caf::error>()) {
    auto e = from_caf_error(content.get_as<caf::error>(0));
    if (e.code == errc::peer_down)
      e = service_went_down(cmd.service, cmd.name, e.context);
    answer(*call, nullptr, &e);
  } else {
    error e{errc::service_error, "service '" + cmd.service + "' answered '" + cmd.name
                                     + "' with something else than a reply"};
    answer(*call, nullptr, &e);
  }
}

void remote_calls::answer(waiting_call& call, const reply* r, const error* e) {
  // The caller first, the audit record after: it is not on the caller's path.
  if (r != nullptr)
    call.answer.reply(*r);
  else
    call.answer.fail(*e);
  audit_command(owner_, call.cmd(), r, e, call.started_ns);
}

void remote_calls::expire(uint64_t id, std::chrono::milliseconds timeout) {
  if (auto call = take(id)) {
    auto e = service_did_not_answer(call->cmd().service, call->cmd().name, timeout);
    answer(*call, nullptr, &e);
  }
}

void remote_calls::watch(const caf::actor& service) {
  {
    std::lock_guard lock{mutex_};
    if (!watched_.insert(service.address()).second)
      return;
  }
  // The service may outlive this node: reach it only while it exists.
  service->attach_functor([line = std::weak_ptr<lifeline>{lifeline_}, sys = &owner_.sys,
                           who = service.address()](const caf::error& why) {
    if (auto alive = line.lock()) {
      std::lock_guard lock{alive->mutex};
      if (alive->calls != nullptr)
        alive->calls->service_down(who, sys->render(why));
    }
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
  for (auto& call : dead) {
    auto e = service_went_down(call.cmd().service, call.cmd().name, why);
    answer(call, nullptr, &e);
  }
}

} // namespace dxhub::runtime::detail
