#pragma once

// The relay actor: forwards every frame of one channel to another (same
// schema, header experiment time and metadata kept), e.g. to feed a remote
// display from a local camera.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

#include <string>

namespace dxhub::actors {

struct relay_config {
  std::string name = "relay";
  std::string service;
  std::string from;
  std::string to;
  /// `reliable` (lossless, the source waits) or `latest`.
  bool reliable = true;
};

expected<relay_config> relay_config_from(const runtime::actor_args& args);

caf::actor spawn_relay(caf::actor_system& sys, relay_config config);

} // namespace dxhub::actors
