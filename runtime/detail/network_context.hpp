#pragma once

#include "dxhub/transports/zmq/socket_options.hpp"

#include <atomic>
#include <string>

namespace dxhub::zmq {
class io_loop;
} // namespace dxhub::zmq

namespace dxhub::runtime::detail {

class node_keys;
struct node_parts;

/// What the parts of a node's network share: the I/O loop whose thread owns
/// their sockets, the node's CURVE keys, the node, and the network's stop
/// flag (once set, work posted to the loop opens no socket).
struct network_context {
  zmq::io_loop& loop;
  const node_keys& keys;
  node_parts& node;
  const std::atomic<bool>& closed;

  /// The options of a socket of the node's that binds (`what` names it in
  /// events: "frames", "events"): CURVE as the keys say, and each refusal of
  /// the socket (e.g. subscriptions beyond its cap) published as a node
  /// event: topic "dxhub/network/<node>", kind "refused", data
  /// {"socket", "error", "reason"}.
  zmq::socket_options listening(std::string what) const;
};

} // namespace dxhub::runtime::detail
