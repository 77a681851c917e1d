#pragma once

// The ZeroMQ side of a node: its command endpoint (other nodes call its
// services there), its clients to other nodes and to the registry, and the
// event relay. One io_loop thread owns every socket; actors hand it work
// and get answers back as messages.

#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/transports/zmq/server.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace dxhub::zmq {
class io_loop;
class client;
class publisher;
class subscriber;
} // namespace dxhub::zmq

namespace dxhub::runtime {
class node;
}

namespace dxhub::runtime::detail {

/// The answer slot of a command that came from another node.
struct remote_caller {
  zmq::responder answer;
};

/// Gets the reply of a remote call; runs on the network thread.
using reply_callback = std::function<void(expected<reply>)>;

class network {
public:
  /// Binds the node's endpoint and connects to the registry (if any).
  static expected<std::unique_ptr<network>> start(node& n);
  ~network();
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  /// Where this node answers (the resolved address).
  const std::string& endpoint() const noexcept { return endpoint_; }
  bool has_registry() const noexcept { return !registry_.empty(); }
  /// True when this node relays events between nodes (it hosts the registry).
  bool relays_events() const noexcept { return relay_ != nullptr; }

  /// Sends `cmd` to the node at `endpoint`; `done` gets the reply or an
  /// error (timeout, peer_down when that node dies meanwhile).
  void call(const std::string& endpoint, command cmd, std::chrono::milliseconds timeout,
            reply_callback done);
  /// Calls command `name` of the registry with JSON arguments.
  void call_registry(const std::string& name, std::string json_args,
                     std::chrono::milliseconds timeout, reply_callback done);

  /// Hands an event of this node to the other nodes.
  void forward_event(const event& e);
  /// Receives the other nodes' events under `prefix`.
  void watch_events(const std::string& prefix);

  /// Stops the thread and closes every socket.
  void stop();

private:
  explicit network(node& n);
  expected<void> bind();
  void on_request(zmq::request req, zmq::responder answer);
  void on_relay_command(const command& cmd, zmq::responder answer);
  void on_remote_event(const event& e);
  zmq::client* client_for(const std::string& endpoint, error& failure);
  void connect_events();

  node& node_;
  std::string name_;
  std::string registry_;
  std::string endpoint_;
  std::unique_ptr<zmq::io_loop> loop_;
  // Set once by stop(): work posted to the loop afterwards opens no socket.
  std::atomic<bool> closed_{false};
  // Network thread only from here on.
  std::unique_ptr<zmq::server> server_;
  std::unique_ptr<zmq::publisher> relay_;
  std::unique_ptr<zmq::subscriber> events_;
  bool events_connecting_ = false;
  std::set<std::string> prefixes_;
  std::map<std::string, std::unique_ptr<zmq::client>> clients_;
};

} // namespace dxhub::runtime::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dxhub::runtime::detail::remote_caller)
