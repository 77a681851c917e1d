#pragma once

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/node_options.hpp"
#include "dxhub/schemas/event.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace dxhub::runtime::detail {

class audit_trail;
class channel_hub;
class network;
class remote_calls;
class service_table;
class shm_readers;

/// The parts of one node as they reach each other. The node makes its parts
/// and fills this in as it goes; each part is handed it when it is made, so
/// no part looks its node up (and none depends on `node`). It lives as long
/// as the node; the parts stop before it goes.
struct node_parts {
  node_parts(caf::actor_system& system, node_options opts)
    : sys(system), options(std::move(opts)) {}
  node_parts(const node_parts&) = delete;
  node_parts& operator=(const node_parts&) = delete;

  caf::actor_system& sys;
  const node_options options;

  channel_hub* channels = nullptr;
  service_table* services = nullptr;
  shm_readers* readers = nullptr;
  /// Audit records of commands waiting for the event bus to publish them.
  audit_trail* audit = nullptr;
  /// Calls to and from services of other nodes.
  remote_calls* calls = nullptr;
  /// The ZeroMQ side of the node; nullptr when not networked.
  network* net = nullptr;

  caf::actor event_bus;
  caf::actor router;
  caf::actor directory;

  const std::string& name() const noexcept { return options.name; }
  const std::string& host_id() const noexcept { return options.host_id; }

  /// A fresh id for commands sent from this node.
  uint64_t next_command_id() noexcept { return command_ids_.fetch_add(1) + 1; }

  /// Publishes an event from code that is not an actor.
  void emit(event e) const { caf::anon_send(event_bus, publish_atom::value, std::move(e)); }

private:
  std::atomic<uint64_t> command_ids_{0};
};

} // namespace dxhub::runtime::detail
