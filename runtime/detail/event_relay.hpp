#pragma once

// Events between nodes. The node that hosts the registry relays: the other
// nodes send it their events (`emit`, `emit_many` of the events service) and
// it publishes them on a socket they subscribe to, by topic prefix. Sockets
// are the network thread's; `forward` and `watch` may be called from any.

#include "dxhub/runtime/detail/network_context.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/transports/zmq/server.hpp"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace dxhub::zmq {
class publisher;
class subscriber;
} // namespace dxhub::zmq

namespace dxhub::runtime::detail {

class registry_client;

class event_relay {
public:
  event_relay(const network_context& net, registry_client& registry);
  ~event_relay();
  event_relay(const event_relay&) = delete;
  event_relay& operator=(const event_relay&) = delete;

  /// Network thread: binds the relay's socket next to `node_endpoint` when
  /// this node hosts the registry.
  expected<void> bind(const std::string& node_endpoint);

  /// True when this node relays events between nodes (it hosts the registry).
  bool relays() const noexcept { return relay_ != nullptr; }

  /// Hands events of this node to the other nodes, oldest first.
  void forward(std::vector<event> batch);
  /// Receives the other nodes' events under `prefix`.
  void watch(const std::string& prefix);

  /// Network thread: answers a command of the events service.
  void serve(const command& cmd, zmq::responder answer);

  /// Network thread: closes the sockets.
  void close();

private:
  void connect();
  void deliver(const event& e);

  network_context net_;
  registry_client& registry_;
  // Network thread only.
  std::unique_ptr<zmq::publisher> relay_;
  std::unique_ptr<zmq::subscriber> events_;
  bool connecting_ = false;
  std::set<std::string> prefixes_;
};

} // namespace dxhub::runtime::detail
