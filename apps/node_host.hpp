#pragma once

// What `dxhub-node` does with its part of a deployment: the node's actors,
// spawned by type name under one supervisor with their restart settings.

#include "dxhub/launch/deployment.hpp"
#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/runtime/node.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <functional>
#include <string>

namespace dxhub::apps {

/// The actor arguments of one deployment actor (parameters parsed from JSON).
expected<runtime::actor_args> actor_args_of(const launch::actor_spec& spec);

/// Told when an actor cannot start: its factory failed on the first start,
/// or its first run ended with a configuration error (bad parameter, taken
/// name, missing service). Called from any thread.
using start_failure_handler = std::function<void(const std::string& actor, const error& why)>;

/// Spawns the supervisor of node `spec` with its actors as children; its
/// events go to `n`. Fails when an actor's parameters do not parse.
expected<caf::actor> spawn_node_supervisor(caf::actor_system& sys, runtime::node& n,
                                           const launch::node_spec& spec,
                                           start_failure_handler on_start_failure = {});

} // namespace dxhub::apps
