#pragma once

// A simulated ADC: publishes blocks of samples (f32 [channels, samples]) of
// a waveform at a sample rate, serves start/stop/set_rate/get_state/crash
// like a real digitizer (simulated_instrument.hpp), and emits its state as events. Every block
// carries its block counter in stamps[0] and the time of its first sample in stamps[1].

#include "dxhub/actors/simulated_instrument.hpp"
#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace dxhub::actors {

struct adc_config {
  /// Name "adc0", no "stats" events unless asked for.
  instrument_config instrument{.name = "adc0"};
  uint32_t channels = 4;
  double sample_rate_hz = 10000;
  /// Samples per channel in one frame.
  uint32_t block = 1000;
  /// "sine", "square" or "sawtooth"; channel k runs at (k + 1) * frequency.
  std::string waveform = "sine";
  double frequency_hz = 50;
};

/// "samples" f32 [channels, block] and "stamps" f64 [2].
frame_schema adc_frame_schema(uint32_t channels, uint32_t block);

/// The value of `waveform` at phase `cycles` (in periods), in [-1, 1].
double adc_waveform(const std::string& waveform, double cycles);

expected<adc_config> adc_config_from(const runtime::actor_args& args);

caf::actor spawn_simulated_adc(caf::actor_system& sys, adc_config config);

} // namespace dxhub::actors
