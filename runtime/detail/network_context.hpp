#pragma once

#include <atomic>

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
};

} // namespace dxhub::runtime::detail
