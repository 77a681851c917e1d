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
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dxhub::actors {

namespace {

using frame_tick_atom = caf::atom_constant<caf::atom("cam_tick")>;
using crash_atom = caf::atom_constant<caf::atom("cam_crash")>;
using stats_atom = caf::atom_constant<caf::atom("cam_stats")>;

struct camera_state {
  camera_config cfg;
  runtime::publisher pub;
  bool running = false;
  uint64_t frames = 0;
  uint64_t failed_publishes = 0;
  uint64_t epoch = 0; // stale ticks of a stopped run are ignored
  uint64_t frames_at_last_stats = 0;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point next_tick;
  std::vector<double> row_profile;
  static inline const char* name = "simulated_camera";
};

using camera_actor = caf::stateful_actor<camera_state>;

std::chrono::nanoseconds period_of(double hz) {
  return std::chrono::nanoseconds{static_cast<int64_t>(1e9 / hz)};
}

/// A gaussian spot drifting in a circle: separable, so one multiply per pixel.
void draw_spot(camera_state& st, std::span<uint16_t> image, double t) {
  auto w = st.cfg.width;
  auto h = st.cfg.height;
  double radius = st.cfg.drift_px_per_s * 5;
  double cx = w / 2.0 + radius * std::cos(t / 5);
  double cy = h / 2.0 + radius * std::sin(t / 5);
  double sigma = std::max(2.0, std::min(w, h) / 16.0);
  double amp = std::min(60000.0, 2000.0 * st.cfg.exposure_ms);
  std::vector<double> gx(w);
  for (uint32_t x = 0; x < w; ++x)
    gx[x] = std::exp(-((x - cx) * (x - cx)) / (2 * sigma * sigma));
  for (uint32_t y = 0; y < h; ++y) {
    double gy = amp * std::exp(-((y - cy) * (y - cy)) / (2 * sigma * sigma));
    auto* row = image.data() + std::size_t{y} * w;
    for (uint32_t x = 0; x < w; ++x)
      row[x] = static_cast<uint16_t>(100 + gy * gx[x]);
  }
}

void draw_counter(std::span<uint16_t> image, uint64_t counter) {
  for (std::size_t i = 0; i < image.size(); ++i)
    image[i] = static_cast<uint16_t>(counter * 7 + i);
}

void embed_counter(std::span<uint16_t> image, uint64_t counter) {
  for (std::size_t i = 0; i < 4 && i < image.size(); ++i)
    image[i] = static_cast<uint16_t>(counter >> (16 * i));
}

nlohmann::json state_json(const camera_state& st) {
  return {{"running", st.running},
          {"frames", st.frames},
          {"exposure_ms", st.cfg.exposure_ms},
          {"rate_hz", st.cfg.rate_hz},
          {"width", st.cfg.width},
          {"height", st.cfg.height},
          {"pattern", st.cfg.pattern},
          {"channel", st.cfg.channel},
          {"session", st.pub ? st.pub.session() : 0}};
}

void emit_state(camera_actor* self, const std::string& why) {
  auto data = state_json(self->state);
  data["why"] = why;
  (void)runtime::emit(self, self->state.cfg.service + "/state", "state", json_text{data.dump()});
}

/// Once a second: what a status line or a summary needs, through the audit log.
void emit_stats(camera_actor* self) {
  auto& st = self->state;
  auto period = st.cfg.stats_period;
  double fps = static_cast<double>(st.frames - st.frames_at_last_stats)
               / std::chrono::duration<double>(period).count();
  st.frames_at_last_stats = st.frames;
  nlohmann::json data{{"frames", st.frames},
                      {"fps", fps},
                      {"failed_publishes", st.failed_publishes},
                      {"running", st.running},
                      {"session", st.pub ? st.pub.session() : 0}};
  (void)runtime::emit(self, st.cfg.service + "/stats", "stats", json_text{data.dump()});
  self->delayed_send(self, period, stats_atom::value);
}

void publish_one(camera_actor* self) {
  auto& st = self->state;
  auto loan = st.pub.loan();
  if (!loan) {
    ++st.failed_publishes;
    return;
  }
  double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
  auto image = loan.value().field<uint16_t>("image").value().values;
  if (st.cfg.pattern == "counter")
    draw_counter(image, st.frames);
  else
    draw_spot(st, image, t);
  embed_counter(image, st.frames);
  auto stamps = loan.value().field<double>("stamps").value().values;
  stamps[0] = static_cast<double>(st.frames);
  stamps[1] = t;
  stamps[2] = st.cfg.exposure_ms;
  stamps[3] = 0;
  loan.value().header().experiment_time = t;
  if (st.pub.publish(std::move(loan.value())))
    ++st.frames;
  else
    ++st.failed_publishes;
}

void schedule_tick(camera_actor* self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  st.next_tick += period_of(st.cfg.rate_hz);
  if (st.next_tick < now) // fell behind (a slow machine): do not burst
    st.next_tick = now;
  auto delay = std::chrono::duration_cast<std::chrono::microseconds>(st.next_tick - now);
  self->delayed_send(self, delay, frame_tick_atom::value, st.epoch);
}

void start(camera_actor* self) {
  auto& st = self->state;
  if (st.running)
    return;
  st.running = true;
  ++st.epoch;
  st.next_tick = std::chrono::steady_clock::now();
  self->send(self, frame_tick_atom::value, st.epoch);
  emit_state(self, "start");
}

void stop(camera_actor* self) {
  auto& st = self->state;
  if (!st.running)
    return;
  st.running = false;
  ++st.epoch;
  emit_state(self, "stop");
}

/// The crash of a demonstration: announced as an event first, so the audit
/// log shows it even when the process dies.
void crash(camera_actor* self, const std::string& why) {
  auto& st = self->state;
  nlohmann::json data{{"mode", st.cfg.crash_mode}, {"frames", st.frames}, {"why", why}};
  (void)runtime::emit(self, st.cfg.service + "/state", "crash", json_text{data.dump()});
  if (st.cfg.crash_mode == "abort") {
    // Give the event a moment to leave the process before it dies.
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
    std::abort();
  }
  throw std::runtime_error("camera '" + st.cfg.service + "' crashed on purpose (" + why + ")");
}

/// One planned crash per camera: a restarted camera (fresh state) must not
/// crash again. Within a process a set of names remembers it; across node
/// restarts (crash_mode "abort") the marker file does.
bool claim_crash(const std::string& service, const std::string& marker) {
  static std::mutex mutex;
  static std::set<std::string> crashed;
  {
    std::lock_guard<std::mutex> guard{mutex};
    if (!crashed.insert(service).second)
      return false;
  }
  if (marker.empty())
    return true;
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return false; // crashed once already
  ::close(fd);
  return true;
}

runtime::command_table camera_commands(camera_actor* self) {
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
  cmds.on<exposure>("set_exposure", [self](const exposure& e) -> expected<exposure> {
    if (!(e.ms > 0 && e.ms <= 10000))
      return error{errc::invalid_argument,
                   "exposure must be in (0, 10000] ms, got " + std::to_string(e.ms)};
    self->state.cfg.exposure_ms = e.ms;
    emit_state(self, "set_exposure");
    return e;
  });
  cmds.on<frame_rate>("set_rate", [self](const frame_rate& r) -> expected<frame_rate> {
    if (!(r.hz > 0 && r.hz <= 10000))
      return error{errc::invalid_argument,
                   "rate must be in (0, 10000] Hz, got " + std::to_string(r.hz)};
    self->state.cfg.rate_hz = r.hz;
    emit_state(self, "set_rate");
    return r;
  });
  return cmds;
}

caf::behavior camera_behavior(camera_actor* self, camera_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.started = std::chrono::steady_clock::now();
  runtime::set_label(self, st.cfg.name);
  auto pub =
      runtime::publish(self, st.cfg.channel, camera_frame_schema(st.cfg.width, st.cfg.height));
  if (!pub) {
    self->quit(make_error(pub.error().code, pub.error().context));
    return {};
  }
  st.pub = std::move(pub.value());
  auto cmds = camera_commands(self);
  if (auto served = runtime::serve(self, st.cfg.service, cmds); !served) {
    self->quit(make_error(served.error().code, served.error().context));
    return {};
  }
  emit_state(self, "ready");
  if (st.cfg.autostart)
    start(self);
  if (st.cfg.crash_after_s > 0)
    self->delayed_send(self,
                       std::chrono::milliseconds{static_cast<int64_t>(st.cfg.crash_after_s * 1000)},
                       crash_atom::value);
  if (st.cfg.stats_period.count() > 0)
    self->delayed_send(self, st.cfg.stats_period, stats_atom::value);
  auto table = cmds.handler();
  return {
      [self, table](const command& c) -> reply {
        if (c.name == "crash")
          crash(self, "crash command from " + c.caller);
        return table(c);
      },
      [self](frame_tick_atom, uint64_t epoch) {
        if (epoch != self->state.epoch || !self->state.running)
          return;
        publish_one(self);
        schedule_tick(self);
      },
      [self](crash_atom) {
        if (claim_crash(self->state.cfg.service, self->state.cfg.crash_marker))
          crash(self, "crash_after_s");
      },
      [self](stats_atom) { emit_stats(self); },
      answer_watchdog(),
  };
}

} // namespace

frame_schema camera_frame_schema(uint32_t width, uint32_t height) {
  frame_schema s;
  s.name = "dxhub.camera";
  s.version = 1;
  s.fields = {field{"image", dtype::u16, shape{height, width}},
              field{"stamps", dtype::f64, shape{4}}};
  return s;
}

expected<uint64_t> verify_camera_frame(const frame_view& frame) {
  auto image = frame.field<uint16_t>("image");
  auto stamps = frame.field<double>("stamps");
  if (!image || !stamps)
    return error{errc::malformed_message, "not a camera frame (no image or stamps field)"};
  auto px = image.value().values;
  if (px.size() < 4 || stamps.value().values.empty())
    return error{errc::malformed_message, "camera frame too small"};
  uint64_t counter = 0;
  for (std::size_t i = 0; i < 4; ++i)
    counter |= uint64_t{px[i]} << (16 * i);
  if (static_cast<double>(counter) != stamps.value().values[0])
    return error{errc::malformed_message, "counter " + std::to_string(counter)
                                              + " in the image, stamps say "
                                              + std::to_string(stamps.value().values[0])};
  return counter;
}

expected<camera_config> camera_config_from(const runtime::actor_args& args) {
  const auto& p = args.params;
  camera_config c;
  c.name = args.name;
  c.service = p.value("service", args.name);
  c.channel = p.value("channel", args.publishes.empty() ? args.name + "/raw" : args.publishes[0]);
  c.width = p.value("width", c.width);
  c.height = p.value("height", c.height);
  c.rate_hz = p.value("rate_hz", c.rate_hz);
  c.pattern = p.value("pattern", c.pattern);
  c.exposure_ms = p.value("exposure_ms", c.exposure_ms);
  c.autostart = p.value("autostart", c.autostart);
  c.crash_after_s = p.value("crash_after_s", c.crash_after_s);
  c.crash_mode = p.value("crash_mode", c.crash_mode);
  c.crash_marker = p.value("crash_marker", c.crash_marker);
  c.drift_px_per_s = p.value("drift_px_per_s", c.drift_px_per_s);
  c.stats_period = std::chrono::milliseconds{p.value("stats_period_ms", int64_t{1000})};
  if (c.width < 4 || c.height < 1 || uint64_t{c.width} * c.height > (uint64_t{1} << 26))
    return error{errc::invalid_argument, "camera '" + c.name + "': width x height out of range"};
  if (!(c.rate_hz > 0 && c.rate_hz <= 10000))
    return error{errc::invalid_argument, "camera '" + c.name + "': rate_hz must be in (0, 10000]"};
  if (c.pattern != "gaussian_spot" && c.pattern != "counter")
    return error{errc::invalid_argument, "camera '" + c.name + "': unknown pattern '" + c.pattern
                                             + "' (gaussian_spot, counter)"};
  if (c.crash_mode != "throw" && c.crash_mode != "abort")
    return error{errc::invalid_argument,
                 "camera '" + c.name + "': crash_mode must be 'throw' or 'abort'"};
  return c;
}

caf::actor spawn_simulated_camera(caf::actor_system& sys, camera_config config) {
  return sys.spawn(camera_behavior, std::move(config));
}

} // namespace dxhub::actors
