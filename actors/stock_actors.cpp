#include "dxhub/actors/stock_actors.hpp"

#include "dxhub/actors/audit_logger.hpp"
#include "dxhub/actors/centroid.hpp"
#include "dxhub/actors/controller.hpp"
#include "dxhub/actors/dashboard.hpp"
#include "dxhub/actors/recorder.hpp"
#include "dxhub/actors/relay.hpp"
#include "dxhub/actors/replayer.hpp"
#include "dxhub/actors/simulated_adc.hpp"
#include "dxhub/actors/simulated_camera.hpp"
#include "dxhub/runtime/actor_types.hpp"

#include <caf/actor_system.hpp>

namespace dxhub::actors {

namespace {

/// A factory from a config reader and a spawn function.
template <class Read, class Spawn>
runtime::actor_factory factory(Read read, Spawn spawn) {
  return [read, spawn](caf::actor_system& sys,
                       const runtime::actor_args& args) -> expected<caf::actor> {
    DXHUB_TRY(config, read(args));
    return spawn(sys, std::move(config));
  };
}

} // namespace

void register_stock_actors() {
  using runtime::register_actor_type;
  register_actor_type("simulated_camera", factory(camera_config_from, spawn_simulated_camera));
  register_actor_type("simulated_adc", factory(adc_config_from, spawn_simulated_adc));
  register_actor_type("centroid", factory(centroid_config_from, spawn_centroid));
  register_actor_type("audit_logger", factory(audit_logger_config_from, spawn_audit_logger));
  register_actor_type("recorder", factory(recorder_config_from, spawn_recorder));
  register_actor_type("controller", factory(controller_config_from, spawn_controller));
  register_actor_type("relay", factory(relay_config_from, spawn_relay));
  register_actor_type("replayer", factory(replayer_config_from, spawn_replayer));
  register_actor_type("dashboard", factory(dashboard_config_from, spawn_dashboard));
}

} // namespace dxhub::actors
