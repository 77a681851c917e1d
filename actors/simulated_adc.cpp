#include "dxhub/actors/simulated_adc.hpp"

#include "dxhub/actors/simulated_camera.hpp"
#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace dxhub::actors {

namespace {

using block_atom = caf::atom_constant<caf::atom("adc_block")>;

struct adc_state {
  adc_config cfg;
  runtime::publisher pub;
  bool running = false;
  uint64_t blocks = 0;
  uint64_t failed_publishes = 0;
  uint64_t epoch = 0;
  static inline const char* name = "simulated_adc";
};

using adc_actor = caf::stateful_actor<adc_state>;

nlohmann::json state_json(const adc_state& st) {
  return {{"running", st.running},       {"blocks", st.blocks},
          {"channels", st.cfg.channels}, {"sample_rate_hz", st.cfg.sample_rate_hz},
          {"block", st.cfg.block},       {"waveform", st.cfg.waveform},
          {"channel", st.cfg.channel}};
}

void emit_state(adc_actor* self, const std::string& why) {
  auto data = state_json(self->state);
  data["why"] = why;
  (void)runtime::emit(self, self->state.cfg.service + "/state", "state", json_text{data.dump()});
}

std::chrono::microseconds block_period(const adc_config& c) {
  return std::chrono::microseconds{static_cast<int64_t>(1e6 * c.block / c.sample_rate_hz)};
}

void publish_block(adc_actor* self) {
  auto& st = self->state;
  auto loan = st.pub.loan();
  if (!loan) {
    ++st.failed_publishes;
    return;
  }
  auto samples = loan.value().field<float>("samples").value().values;
  double t0 = static_cast<double>(st.blocks * st.cfg.block) / st.cfg.sample_rate_hz;
  for (uint32_t ch = 0; ch < st.cfg.channels; ++ch)
    for (uint32_t i = 0; i < st.cfg.block; ++i) {
      double t = t0 + i / st.cfg.sample_rate_hz;
      samples[std::size_t{ch} * st.cfg.block + i] =
          static_cast<float>(adc_waveform(st.cfg.waveform, (ch + 1) * st.cfg.frequency_hz * t));
    }
  auto stamps = loan.value().field<double>("stamps").value().values;
  stamps[0] = static_cast<double>(st.blocks);
  stamps[1] = t0;
  loan.value().header().experiment_time = t0;
  if (st.pub.publish(std::move(loan.value())))
    ++st.blocks;
  else
    ++st.failed_publishes;
}

void start(adc_actor* self) {
  auto& st = self->state;
  if (st.running)
    return;
  st.running = true;
  self->send(self, block_atom::value, ++st.epoch);
  emit_state(self, "start");
}

void stop(adc_actor* self) {
  auto& st = self->state;
  if (!st.running)
    return;
  st.running = false;
  ++st.epoch;
  emit_state(self, "stop");
}

runtime::command_table adc_commands(adc_actor* self) {
  runtime::command_table cmds;
  cmds.on("start", [self] {
    start(self);
    return state_json(self->state);
  });
  cmds.on("stop", [self] {
    stop(self);
    return state_json(self->state);
  });
  cmds.on("get_state", [self] { return state_json(self->state); });
  cmds.on<frame_rate>("set_rate", [self](const frame_rate& r) -> expected<frame_rate> {
    if (!(r.hz >= 1 && r.hz <= 1e7))
      return error{errc::invalid_argument,
                   "sample rate must be in [1, 1e7] Hz, got " + std::to_string(r.hz)};
    self->state.cfg.sample_rate_hz = r.hz;
    emit_state(self, "set_rate");
    return r;
  });
  return cmds;
}

caf::behavior adc_behavior(adc_actor* self, adc_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  runtime::set_label(self, st.cfg.name);
  auto pub =
      runtime::publish(self, st.cfg.channel, adc_frame_schema(st.cfg.channels, st.cfg.block));
  if (!pub) {
    self->quit(make_error(pub.error().code, pub.error().context));
    return {};
  }
  st.pub = std::move(pub.value());
  auto cmds = adc_commands(self);
  if (auto served = runtime::serve(self, st.cfg.service, cmds); !served) {
    self->quit(make_error(served.error().code, served.error().context));
    return {};
  }
  emit_state(self, "ready");
  if (st.cfg.autostart)
    start(self);
  auto table = cmds.handler();
  return {
      [self, table](const command& c) -> reply {
        if (c.name == "crash") {
          (void)runtime::emit(self, self->state.cfg.service + "/state", "crash",
                              json_text{state_json(self->state).dump()});
          throw std::runtime_error("adc '" + self->state.cfg.service + "' crashed on purpose");
        }
        return table(c);
      },
      [self](block_atom, uint64_t epoch) {
        if (epoch != self->state.epoch || !self->state.running)
          return;
        publish_block(self);
        self->delayed_send(self, block_period(self->state.cfg), block_atom::value, epoch);
      },
      answer_watchdog(),
  };
}

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
  const auto& p = args.params;
  adc_config c;
  c.name = args.name;
  c.service = p.value("service", args.name);
  c.channel = p.value("channel", args.publishes.empty() ? args.name + "/raw" : args.publishes[0]);
  c.channels = p.value("channels", c.channels);
  c.sample_rate_hz = p.value("sample_rate_hz", c.sample_rate_hz);
  c.block = p.value("block", c.block);
  c.waveform = p.value("waveform", c.waveform);
  c.frequency_hz = p.value("frequency_hz", c.frequency_hz);
  c.autostart = p.value("autostart", c.autostart);
  auto bad = [&](const std::string& what) {
    return error{errc::invalid_argument, "adc '" + c.name + "': " + what};
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
  return sys.spawn(adc_behavior, std::move(config));
}

} // namespace dxhub::actors
