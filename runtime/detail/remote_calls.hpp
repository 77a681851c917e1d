#pragma once

// Calls between nodes without an actor in the middle. A caller's request for
// a service of another node goes from the caller's thread straight to the
// network thread, and the reply from the network thread straight into the
// caller's mailbox; a command from another node goes from the network thread
// straight to the service actor, and its reply straight back. Every hop saved
// is a thread wake-up saved, which is most of a call's latency
// (docs/runtime.md, "Calls between nodes").

#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/transports/zmq/server.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace dxhub::runtime::detail {

struct node_parts;

class remote_calls {
public:
  explicit remote_calls(node_parts& owner);
  ~remote_calls();
  remote_calls(const remote_calls&) = delete;
  remote_calls& operator=(const remote_calls&) = delete;

  /// Where callers send their `(call_atom, service, command)` requests for a
  /// service of another node; the answer is a `reply` or an error.
  const caf::actor& gate() const noexcept { return outgoing_; }

  /// Hands a command of another node to its service here (network thread).
  void serve(command cmd, zmq::responder answer);

  /// Called when service actor `who` terminated: fails its waiting calls.
  void service_down(const caf::actor_addr& who, const std::string& why);

  /// Closes both gates and fails what is still waiting (the node stops).
  void stop();

private:
  struct waiting_call {
    zmq::responder answer;
    caf::actor_addr service;
    /// The command as handed to the service (shared, not copied): its audit
    /// record is written here, by the serving node, when the call is answered.
    caf::message command;
    int64_t started_ns = 0;
    uint64_t timer = 0; // its deadline on the network thread (`network::after`)

    const dxhub::command& cmd() const { return command.get_as<dxhub::command>(0); }
  };

  void send(caf::mailbox_element_ptr request);
  void respond(const caf::strong_actor_ptr& to, caf::message_id mid, caf::message content);
  void on_service_answer(caf::mailbox_element_ptr response);
  /// Answers a call served here and records it in this node's audit trail.
  void answer(waiting_call& call, const reply* r, const error* e);
  void expire(uint64_t id, std::chrono::milliseconds timeout);
  void watch(const caf::actor& service);
  std::optional<waiting_call> take(uint64_t id);

  /// What a service's exit handler reaches this by: the service may outlive
  /// the node, so the handler finds nothing once `stop` has run.
  struct lifeline {
    std::mutex mutex;
    remote_calls* calls = nullptr;
  };

  node_parts& owner_;
  std::shared_ptr<lifeline> lifeline_ = std::make_shared<lifeline>();
  caf::actor outgoing_; // callers -> other nodes
  caf::actor incoming_; // services' replies -> other nodes
  std::atomic<uint64_t> next_id_{0};
  std::mutex mutex_;
  std::map<uint64_t, waiting_call> waiting_;
  std::set<caf::actor_addr> watched_;
};

} // namespace dxhub::runtime::detail
