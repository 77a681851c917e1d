#pragma once

// The registry: where nodes announce their services, channels and
// themselves, with a lease they renew; where anyone looks them up. It is the
// service "dxhub/registry" (commands in runtime/registry_protocol.hpp) and
// emits "appeared", "disappeared" and "expired" events under
// "dxhub/registry/" so that watchers learn of changes.

#include <caf/fwd.hpp>

#include <chrono>

namespace dxhub::actors {

struct registry_options {
  /// How often leases are checked.
  std::chrono::milliseconds sweep{250};
};

/// Spawns the registry actor in `sys` (whose node must be running); it
/// serves "dxhub/registry" until it is told to exit.
caf::actor spawn_registry(caf::actor_system& sys, registry_options options = {});

} // namespace dxhub::actors
