#pragma once

// What `dxhub-node` does with its part of a deployment: the node's actors,
// spawned by type name under one supervisor with their restart settings.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/runtime/deployment.hpp"
#include "dxhub/runtime/node.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <string>

namespace dxhub::apps {

/// The actor arguments of one deployment actor (parameters parsed from JSON).
expected<runtime::actor_args> actor_args_of(const runtime::actor_spec& spec);

/// Spawns the supervisor of node `spec` with its actors as children; its
/// events go to `n`. Fails when an actor's parameters do not parse.
expected<caf::actor> spawn_node_supervisor(caf::actor_system& sys, runtime::node& n,
                                           const runtime::node_spec& spec);

} // namespace dxhub::apps
