#pragma once

// How the runtime's own functions (channel.cpp, service.cpp, events.cpp)
// reach the parts of a node: node.hpp, which users include, names none of
// them beyond a declaration, so a node's insides can change without its
// users rebuilding against a new layout of parts.

#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/publisher_links.hpp"
#include "dxhub/runtime/node.hpp"

#include <caf/actor.hpp>

namespace dxhub::runtime::detail {

struct node_access {
  static channel_hub& channels(node& n) noexcept { return *n.channels_; }
  static service_table& services(node& n) noexcept { return *n.services_; }
  static shm_readers& readers(node& n) noexcept { return *n.readers_; }
  /// Audit records of commands waiting for the event bus to publish them.
  static audit_trail& audit(node& n) noexcept { return *n.audit_; }
  /// Calls to and from services of other nodes.
  static remote_calls& calls(node& n) noexcept { return *n.calls_; }
  /// The ZeroMQ side of the node; nullptr when not networked.
  static network* net(node& n) noexcept { return n.network_.get(); }

  static const caf::actor& directory(const node& n) noexcept { return n.parts_->directory; }
  static const caf::actor& event_bus(const node& n) noexcept { return n.parts_->event_bus; }
  static const caf::actor& router(const node& n) noexcept { return n.parts_->router; }

  /// What a channel's writer reaches of the node (it may outlive the node).
  static publisher_links links(const node& n) {
    return {n.parts_->directory.address(), n.network_};
  }
};

} // namespace dxhub::runtime::detail
