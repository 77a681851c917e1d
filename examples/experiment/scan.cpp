#include "scan.hpp"

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/frame.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"

#include <caf/all.hpp>

#include "stage.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace myexp {

namespace {

using namespace dxhub;
using begin_atom = caf::atom_constant<caf::atom("scan_go")>;
using retry_atom = caf::atom_constant<caf::atom("scan_retry")>;

struct scan_config {
  std::string name;
  std::string stage = "stage";
  std::string camera;
  double start_mm = 0;
  double stop_mm = 10;
  int steps = 5;
  bool autostart = true;
  std::chrono::milliseconds move_timeout{10000};
};

struct scan_state {
  scan_config cfg;
  runtime::subscription camera;
  std::optional<runtime::frame> latest; // pins one chunk: the newest frame
  int next = 0;                         // the point being measured
  bool running = false;
  bool waiting_for_frame = false;
  uint64_t arrived_after = 0;                           // a point's frame is newer than this
  std::chrono::steady_clock::time_point stage_deadline; // nodes start in any order
  nlohmann::json points = nlohmann::json::array();
  runtime::deferred_reply finished; // the `start` that waits for the end
  static inline const char* name = "scan";
};

using scan_actor = caf::stateful_actor<scan_state>;

double position_of(const scan_config& c, int i) {
  if (c.steps <= 1)
    return c.start_mm;
  return c.start_mm + (c.stop_mm - c.start_mm) * i / (c.steps - 1);
}

void fail_scan(scan_actor* self, const std::string& why) {
  auto& st = self->state;
  st.running = false;
  nlohmann::json data{{"error", why}, {"points", st.points}};
  (void)runtime::emit(self, st.cfg.name + "/done", "failed", json_text{data.dump()});
  st.finished.fail({errc::service_error, "scan '" + st.cfg.name + "': " + why});
}

void move_to_next(scan_actor* self);

/// The newest frame, read where it lies in shared memory.
void measure(scan_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  auto image = f.field<uint16_t>("image");
  if (!image) {
    fail_scan(self, "camera frame without a u16 'image' field: " + image.error().what());
    return;
  }
  const auto& pixels = image.value().values;
  double sum = 0;
  uint16_t peak = 0;
  for (auto v : pixels) {
    sum += v;
    peak = std::max(peak, v);
  }
  nlohmann::json point{{"index", st.next},
                       {"pos_mm", position_of(st.cfg, st.next)},
                       {"mean", pixels.empty() ? 0.0 : sum / static_cast<double>(pixels.size())},
                       {"peak", peak},
                       {"sequence", f.header().sequence},
                       {"session", f.header().session}};
  st.points.push_back(point);
  (void)runtime::emit(self, st.cfg.name + "/point", "point", json_text{point.dump()});
  ++st.next;
  move_to_next(self);
}

void on_frame(scan_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  st.latest = f;
  if (st.waiting_for_frame && f.header().sequence > st.arrived_after) {
    st.waiting_for_frame = false;
    measure(self, f);
  }
}

void on_arrival(scan_actor* self) {
  auto& st = self->state;
  // The frame must be taken after the stage stopped: one newer than the newest seen.
  st.arrived_after = st.latest ? st.latest->header().sequence : 0;
  st.waiting_for_frame = true;
}

void move_to_next(scan_actor* self) {
  auto& st = self->state;
  if (st.next >= st.cfg.steps) {
    st.running = false;
    nlohmann::json data{{"points", st.points}};
    (void)runtime::emit(self, st.cfg.name + "/done", "done", json_text{data.dump()});
    st.finished.deliver(data);
    return;
  }
  auto timeout = st.cfg.move_timeout;
  runtime::lookup(self, st.cfg.stage, timeout)
      .then(
          [self, timeout](const runtime::service& stage) {
            move_target target{position_of(self->state.cfg, self->state.next), 0};
            runtime::call(self, stage, "move_to", target, timeout)
                .then(
                    [self](const reply& r) {
                      if (auto arrived = runtime::result_of<stage_position>(r); !arrived)
                        fail_scan(self, "move_to: " + arrived.error().what());
                      else
                        on_arrival(self);
                    },
                    [self](caf::error& e) {
                      fail_scan(self, "move_to: " + from_caf_error(e).what());
                    });
          },
          [self](caf::error& e) {
            // The stage's node may still be starting: look again until the deadline.
            auto err = from_caf_error(e);
            if (err.code == errc::unknown_service
                && std::chrono::steady_clock::now() < self->state.stage_deadline) {
              self->delayed_send(self, std::chrono::milliseconds{100}, retry_atom::value);
              return;
            }
            fail_scan(self, "stage: " + err.what());
          });
}

void begin(scan_actor* self, runtime::deferred_reply done) {
  auto& st = self->state;
  if (st.running) {
    done.fail({errc::service_error, "scan '" + st.cfg.name + "' is already running"});
    return;
  }
  st.running = true;
  st.next = 0;
  st.points = nlohmann::json::array();
  st.finished = std::move(done);
  st.stage_deadline = std::chrono::steady_clock::now() + st.cfg.move_timeout;
  (void)runtime::emit(self, st.cfg.name + "/state", "started",
                      json_text{nlohmann::json{{"steps", st.cfg.steps}}.dump()});
  move_to_next(self);
}

caf::behavior scan_behavior(scan_actor* self, scan_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  runtime::set_label(self, st.cfg.name);
  runtime::subscription_options latest;
  latest.policy = runtime::policy::latest;
  auto camera = runtime::subscribe(self, st.cfg.camera, latest);
  runtime::command_table cmds;
  cmds.on_deferred("start", [self](runtime::deferred_reply done) { begin(self, std::move(done)); });
  cmds.on("get_result", [self] {
    return nlohmann::json{{"running", self->state.running}, {"points", self->state.points}};
  });
  auto served = camera ? runtime::serve(self, st.cfg.name, cmds) : expected<void>{camera.error()};
  if (!served) {
    self->quit(make_error(served.error().code, served.error().context));
    return {};
  }
  st.camera = std::move(camera.value());
  if (st.cfg.autostart)
    self->send(self, begin_atom::value);
  return {
      cmds.handler(),
      [self](const runtime::frame& f) { on_frame(self, f); },
      [](const runtime::channel_status&) {},
      [self](begin_atom) { begin(self, {}); },
      [self](retry_atom) { move_to_next(self); },
  };
}

} // namespace

dxhub::expected<caf::actor> spawn_scan(caf::actor_system& sys,
                                       const dxhub::runtime::actor_args& args) {
  scan_config c;
  c.name = args.name;
  c.stage = args.param("stage", c.stage);
  c.camera = args.subscribes.empty() ? args.param("camera", "") : args.subscribes.front();
  c.start_mm = args.param("start_mm", c.start_mm);
  c.stop_mm = args.param("stop_mm", c.stop_mm);
  c.steps = args.param("steps", c.steps);
  c.autostart = args.param("autostart", c.autostart);
  c.move_timeout = std::chrono::milliseconds{args.param("move_timeout_ms", int64_t{10000})};
  if (c.camera.empty())
    return dxhub::error{dxhub::errc::invalid_argument,
                        "scan '" + c.name + "': no camera channel (subscribes = [...])"};
  if (c.steps < 1)
    return dxhub::error{dxhub::errc::invalid_argument, "scan '" + c.name + "': steps must be >= 1"};
  return sys.spawn(scan_behavior, std::move(c));
}

} // namespace myexp
