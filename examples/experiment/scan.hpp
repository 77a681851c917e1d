#pragma once

// A scan controller: steps a stage through positions and, at each one, reads
// the newest camera frame in place (zero copy) and records its mean and peak
// intensity. Each point is an event `<name>/point`, the end an event
// `<name>/done` with every point; `start` runs a scan and answers when it is
// done (a deferred reply), `get_result` answers with the last one.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

namespace myexp {

/// The actor factory of type "scan" (parameters: stage, start_mm, stop_mm,
/// steps, autostart, move_timeout_ms; the camera channel is its first
/// `subscribes` entry).
dxhub::expected<caf::actor> spawn_scan(caf::actor_system& sys,
                                       const dxhub::runtime::actor_args& args);

} // namespace myexp
