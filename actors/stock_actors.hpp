#pragma once

// The actor types that ship with dxhub, by the names deployment files use:
// simulated_camera, simulated_adc, centroid, audit_logger, recorder, replayer, controller,
// relay, dashboard.

namespace dxhub::actors {

/// Registers the stock actor types with runtime::register_actor_type (idempotent).
void register_stock_actors();

} // namespace dxhub::actors
