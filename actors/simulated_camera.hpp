#pragma once

// A simulated camera: publishes u16 images at a frame rate, serves the
// commands of a real camera (those of every simulated instrument, see
// simulated_instrument.hpp, and set_exposure), and emits its state as events. Every image
// carries its frame counter (pixels 0..3, four little-endian u16 words, and
// stamps[0]) so that any reader can check that a frame is whole; with the
// "counter" pattern every pixel depends on the counter.

#include "dxhub/actors/simulated_instrument.hpp"
#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/frame_view.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace dxhub::actors {

struct camera_config {
  /// Name "cam0", a "stats" event every second.
  instrument_config instrument{.name = "cam0", .stats_period = std::chrono::milliseconds{1000}};
  uint32_t width = 640;
  uint32_t height = 480;
  double rate_hz = 30;
  /// "gaussian_spot" (a drifting spot) or "counter" (every pixel checkable).
  std::string pattern = "gaussian_spot";
  double exposure_ms = 10;
  /// Pixels per second the spot drifts.
  double drift_px_per_s = 4;
};

/// `set_exposure` arguments and result.
struct exposure {
  static constexpr const char* schema_name = "dxhub.exposure";
  static constexpr uint32_t schema_version = 1;
  double ms = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("ms", x.ms));
  }
};

/// The schema of the camera's frames: "image" u16 [height, width] and
/// "stamps" f64 [4] = counter, experiment time (s), exposure (ms), spot x.
frame_schema camera_frame_schema(uint32_t width, uint32_t height);

/// Reads the counter a camera embedded in a frame, and checks the frame
/// against it (torn or foreign frames are `malformed_message`).
expected<uint64_t> verify_camera_frame(const frame_view& frame);

/// Reads a camera config from deployment parameters.
expected<camera_config> camera_config_from(const runtime::actor_args& args);

/// Spawns a camera.
caf::actor spawn_simulated_camera(caf::actor_system& sys, camera_config config);

} // namespace dxhub::actors
