#pragma once

// The registry: where nodes announce their services, channels and
// themselves, with a lease they renew; where anyone looks them up. It is the
// service "dxhub/registry" (commands in runtime/registry_protocol.hpp) and
// emits "appeared", "disappeared" and "expired" events under
// "dxhub/registry/" so that watchers learn of changes.
//
// A name has one owner, the process that registered it while its lease
// lives: a record of the same name from another process is refused
// (`already_exists`) instead of replacing it, unless the owner is known to be
// dead (a process of the registry's own host that no longer exists: a node
// restarted after a crash takes its names over at once). The owner proves
// itself with its owner key (a secret property of its requests) and, when
// the registry's node uses CURVE, with the CURVE key of its connection: a
// record registered over CURVE is touched only over that key. A registry
// with a run token refuses records of nodes of other runs.

#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/registry_record.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace dxhub::actors {

struct registry_options {
  /// How often leases are checked.
  std::chrono::milliseconds sweep{250};
  /// The token of the run this registry serves (`dxhub run` makes one per
  /// run): records without it, or with another one, are refused
  /// (`unauthenticated`). Empty: any node may register.
  std::string run_token;
  /// Called on the registry's thread the first time a node (a process) is
  /// refused for a reason: not of this run (`unauthenticated`), or a name a
  /// live node of another process holds (`already_exists`). The registry
  /// also emits the event "refused" under "dxhub/registry/<kind>/<name>".
  std::function<void(const registry_record&, const error&)> on_refused;
};

/// Spawns the registry actor in `sys` (whose node must be running); it
/// serves "dxhub/registry" until it is told to exit.
caf::actor spawn_registry(caf::actor_system& sys, registry_options options = {});

} // namespace dxhub::actors
