#include "dxhub/actors/simulated_adc.hpp"

#include "dxhub/runtime/channel.hpp"

#include <caf/actor.hpp>

#include <chrono>
#include <cmath>
#include <memory>

namespace dxhub::actors {

namespace {

/// What makes the simulated instrument a digitizer: blocks of samples of a
/// waveform; its rate is the sample rate.
class adc_model final : public instrument_model {
public:
  explicit adc_model(adc_config cfg)
    : instrument_model("simulated_adc", "adc"), cfg_(std::move(cfg)) {}

  const instrument_config& config() const override { return cfg_.instrument; }
  frame_schema schema() const override { return adc_frame_schema(cfg_.channels, cfg_.block); }

  std::chrono::nanoseconds period() const override {
    return std::chrono::nanoseconds{static_cast<int64_t>(1e9 * cfg_.block / cfg_.sample_rate_hz)};
  }

  expected<void> set_rate(double hz) override {
    if (!(hz >= 1 && hz <= 1e7))
      return error{errc::invalid_argument,
                   "sample rate must be in [1, 1e7] Hz, got " + std::to_string(hz)};
    cfg_.sample_rate_hz = hz;
    return ok();
  }

  /// Block `counter` starts at sample counter * block: the time axis is the
  /// samples', not the wall clock's.
  void fill(runtime::loaned_frame& frame, uint64_t counter, double) override {
    auto samples = frame.field<float>("samples").value().values;
    double t0 = static_cast<double>(counter * cfg_.block) / cfg_.sample_rate_hz;
    for (uint32_t ch = 0; ch < cfg_.channels; ++ch)
      for (uint32_t i = 0; i < cfg_.block; ++i) {
        double t = t0 + i / cfg_.sample_rate_hz;
        samples[std::size_t{ch} * cfg_.block + i] =
            static_cast<float>(adc_waveform(cfg_.waveform, (ch + 1) * cfg_.frequency_hz * t));
      }
    auto stamps = frame.field<double>("stamps").value().values;
    stamps[0] = static_cast<double>(counter);
    stamps[1] = t0;
    frame.header().experiment_time = t0;
  }

  nlohmann::json state(const instrument_run& run) const override {
    return {{"running", run.running},
            {"blocks", run.frames},
            {"channels", cfg_.channels},
            {"sample_rate_hz", cfg_.sample_rate_hz},
            {"block", cfg_.block},
            {"waveform", cfg_.waveform},
            {"channel", cfg_.instrument.channel}};
  }

private:
  adc_config cfg_;
};

} // namespace

frame_schema adc_frame_schema(uint32_t channels, uint32_t block) {
  frame_schema s;
  s.name = "dxhub.adc";
  s.version = 1;
  s.fields = {field{"samples", dtype::f32, shape{channels, block}},
              field{"stamps", dtype::f64, shape{2}}};
  return s;
}

double adc_waveform(const std::string& waveform, double cycles) {
  double phase = cycles - std::floor(cycles);
  if (waveform == "square")
    return phase < 0.5 ? 1.0 : -1.0;
  if (waveform == "sawtooth")
    return 2 * phase - 1;
  return std::sin(2 * M_PI * phase);
}

expected<adc_config> adc_config_from(const runtime::actor_args& args) {
  adc_config c;
  DXHUB_TRY(instrument, instrument_config_from(args, c.instrument, "adc"));
  c.instrument = std::move(instrument);
  c.channels = args.param("channels", c.channels);
  c.sample_rate_hz = args.param("sample_rate_hz", c.sample_rate_hz);
  c.block = args.param("block", c.block);
  c.waveform = args.param("waveform", c.waveform);
  c.frequency_hz = args.param("frequency_hz", c.frequency_hz);
  auto bad = [&](const std::string& what) {
    return error{errc::invalid_argument, "adc '" + c.instrument.name + "': " + what};
  };
  if (c.channels < 1 || c.channels > 1024)
    return bad("channels must be in [1, 1024]");
  if (c.block < 1 || uint64_t{c.block} * c.channels > (uint64_t{1} << 24))
    return bad("block x channels out of range");
  if (!(c.sample_rate_hz >= 1 && c.sample_rate_hz <= 1e7))
    return bad("sample_rate_hz must be in [1, 1e7]");
  if (c.waveform != "sine" && c.waveform != "square" && c.waveform != "sawtooth")
    return bad("unknown waveform '" + c.waveform + "' (sine, square, sawtooth)");
  return c;
}

caf::actor spawn_simulated_adc(caf::actor_system& sys, adc_config config) {
  return spawn_simulated_instrument(sys, std::make_shared<adc_model>(std::move(config)));
}

} // namespace dxhub::actors
