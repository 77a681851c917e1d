#pragma once

// The node's side of the registry: the commands it sends to the registry's
// node (register, lookup, the event relay's), through the peer clients.

#include "dxhub/runtime/detail/peer_clients.hpp"

#include <chrono>
#include <string>

namespace dxhub::runtime::detail {

struct node_parts;

class registry_client {
public:
  registry_client(peer_clients& peers, node_parts& node);

  /// False when the node has no registry (it serves only its own process).
  bool configured() const noexcept { return !endpoint().empty(); }
  /// The registry's endpoint ("" if none).
  const std::string& endpoint() const noexcept;

  /// Calls command `name` of the registry with JSON arguments; no_registry
  /// when the node has none. Any thread.
  void call(const std::string& name, std::string json_args, std::chrono::milliseconds timeout,
            reply_callback done);

  /// Sends `cmd` (of any service the registry's node hosts) there. Any thread.
  void send(const command& cmd, std::chrono::milliseconds timeout, reply_callback done);

  /// A command of this node to `service` on the registry's node, with a
  /// fresh id.
  command command_for(std::string service, std::string name, std::string json_args) const;

private:
  peer_clients& peers_;
  node_parts& node_;
};

} // namespace dxhub::runtime::detail
