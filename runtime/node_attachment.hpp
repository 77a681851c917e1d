#pragma once

#include <caf/actor_system_config.hpp>

#include <atomic>
#include <mutex>

namespace dxhub::runtime {

class node;

/// The part of an actor system's configuration a node attaches itself to:
/// the system's actors find their node through their system's configuration
/// (`node::of`), with no table of nodes. `node_config` is one; a node needs
/// its actor system made from one.
class node_attachment : public caf::actor_system_config {
private:
  friend class node;

  // The node serving the system made from this configuration, if any. Read
  // without a lock (`node::of`); set and cleared under the mutex, which
  // `node::with_node` holds while a cleanup runs (recursive: a cleanup may
  // itself ask for the node).
  mutable std::atomic<node*> attached_{nullptr};
  mutable std::recursive_mutex mutex_;
};

} // namespace dxhub::runtime
