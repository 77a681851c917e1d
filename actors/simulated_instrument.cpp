#include "dxhub/actors/simulated_instrument.hpp"

#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <algorithm>
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

using tick_atom = caf::atom_constant<caf::atom("inst_tick")>;
using crash_atom = caf::atom_constant<caf::atom("inst_crash")>;
using stats_atom = caf::atom_constant<caf::atom("inst_stats")>;

struct instrument_state {
  std::shared_ptr<instrument_model> model;
  runtime::publisher pub;
  instrument_run run;
  uint64_t epoch = 0; // stale ticks of a stopped run are ignored
  uint64_t frames_at_last_stats = 0;
  // How long each publish of this stats period took: what a display or a
  // recorder attached to the channel costs the instrument shows here.
  std::vector<double> publish_us;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point next_tick;
  // The model's actor name once the behavior starts.
  const char* name = "simulated_instrument";
};

using instrument_actor = caf::stateful_actor<instrument_state>;

const instrument_config& config_of(instrument_actor* self) {
  return self->state.model->config();
}

nlohmann::json state_json(instrument_actor* self) {
  return self->state.model->state(self->state.run);
}

void emit_state(instrument_actor* self, const std::string& why) {
  auto data = state_json(self);
  data["why"] = why;
  (void)runtime::emit(self, config_of(self).service + "/state", "state", json_text{data.dump()});
}

/// The `q` quantile of `xs` (reorders them).
double percentile(std::vector<double>& xs, double q) {
  auto at = xs.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), at, xs.end());
  return *at;
}

/// Every stats period: what a status line or a summary needs, through the audit log.
void emit_stats(instrument_actor* self) {
  auto& st = self->state;
  auto period = config_of(self).stats_period;
  double fps = static_cast<double>(st.run.frames - st.frames_at_last_stats)
               / std::chrono::duration<double>(period).count();
  st.frames_at_last_stats = st.run.frames;
  nlohmann::json data{{"frames", st.run.frames},
                      {"fps", fps},
                      {"failed_publishes", st.run.failed_publishes},
                      {"running", st.run.running},
                      {"session", st.run.session}};
  if (!st.publish_us.empty()) {
    if (config_of(self).stats_samples)
      data["publish_us"] = std::vector<double>(
          st.publish_us.begin(),
          st.publish_us.begin()
              + static_cast<std::ptrdiff_t>(std::min(st.publish_us.size(), max_stats_samples)));
    data["publish_us_p50"] = percentile(st.publish_us, 0.50);
    data["publish_us_p99"] = percentile(st.publish_us, 0.99);
    st.publish_us.clear();
  }
  (void)runtime::emit(self, config_of(self).service + "/stats", "stats", json_text{data.dump()});
  self->delayed_send(self, period, stats_atom::value);
}

void publish_one(instrument_actor* self) {
  auto& st = self->state;
  auto loan = st.pub.loan();
  if (!loan) {
    ++st.run.failed_publishes;
    return;
  }
  double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
  st.model->fill(loan.value(), st.run.frames, t);
  auto before = std::chrono::steady_clock::now();
  auto published = st.pub.publish(std::move(loan.value()));
  // Kept only for the stats events: without them nobody would empty it.
  if (config_of(self).stats_period.count() > 0)
    st.publish_us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - before)
            .count());
  if (published)
    ++st.run.frames;
  else
    ++st.run.failed_publishes;
}

void schedule_tick(instrument_actor* self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  st.next_tick += st.model->period();
  if (st.next_tick < now) // fell behind (a slow machine): do not burst
    st.next_tick = now;
  auto delay = std::chrono::duration_cast<std::chrono::microseconds>(st.next_tick - now);
  self->delayed_send(self, delay, tick_atom::value, st.epoch);
}

void start(instrument_actor* self) {
  auto& st = self->state;
  if (st.run.running)
    return;
  st.run.running = true;
  ++st.epoch;
  st.next_tick = std::chrono::steady_clock::now();
  self->send(self, tick_atom::value, st.epoch);
  emit_state(self, "start");
}

void stop(instrument_actor* self) {
  auto& st = self->state;
  if (!st.run.running)
    return;
  st.run.running = false;
  ++st.epoch;
  emit_state(self, "stop");
}

/// The crash of a demonstration: announced as an event first, so the audit
/// log shows it even when the process dies.
[[noreturn]] void crash(instrument_actor* self, const std::string& why) {
  const auto& cfg = config_of(self);
  auto data = state_json(self);
  data["mode"] = cfg.crash_mode;
  data["why"] = why;
  (void)runtime::emit(self, cfg.service + "/state", "crash", json_text{data.dump()});
  if (cfg.crash_mode == "abort") {
    // Give the event a moment to leave the process before it dies.
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
    std::abort();
  }
  throw std::runtime_error(self->state.model->kind() + " '" + cfg.service + "' crashed on purpose ("
                           + why + ")");
}

/// One planned crash per instrument: a restarted one (fresh state) must not
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

runtime::command_table instrument_commands(instrument_actor* self) {
  runtime::command_table cmds;
  cmds.on("start", [self] {
    start(self);
    return state_json(self);
  });
  cmds.on("stop", [self] {
    stop(self);
    return state_json(self);
  });
  cmds.on("get_state", [self] { return state_json(self); });
  cmds.on<frame_rate>("set_rate", [self](const frame_rate& r) -> expected<frame_rate> {
    DXHUB_TRYV(self->state.model->set_rate(r.hz));
    emit_state(self, "set_rate");
    return r;
  });
  self->state.model->add_commands(cmds, [self](const std::string& why) { emit_state(self, why); });
  return cmds;
}

/// Publishes, serves and starts as configured; the timers of the stats
/// events and of a planned crash begin here.
expected<runtime::command_table> open_instrument(instrument_actor* self) {
  auto& st = self->state;
  const auto& cfg = config_of(self);
  runtime::set_label(self, cfg.name);
  DXHUB_TRY(pub, runtime::publish(self, cfg.channel, st.model->schema()));
  st.pub = std::move(pub);
  st.run.session = st.pub.session();
  auto cmds = instrument_commands(self);
  DXHUB_TRYV(runtime::serve(self, cfg.service, cmds));
  emit_state(self, "ready");
  if (cfg.autostart)
    start(self);
  if (cfg.crash_after_s > 0)
    self->delayed_send(self,
                       std::chrono::milliseconds{static_cast<int64_t>(cfg.crash_after_s * 1000)},
                       crash_atom::value);
  if (cfg.stats_period.count() > 0)
    self->delayed_send(self, cfg.stats_period, stats_atom::value);
  return cmds;
}

caf::behavior instrument_behavior(instrument_actor* self, std::shared_ptr<instrument_model> model) {
  auto& st = self->state;
  st.model = std::move(model);
  st.name = st.model->actor_name();
  st.started = std::chrono::steady_clock::now();
  auto cmds = open_instrument(self);
  if (!cmds) {
    self->quit(make_error(cmds.error().code, cmds.error().context));
    return {};
  }
  auto table = cmds.value().handler();
  return {
      [self, table](const command& c) -> caf::result<reply> {
        if (c.name == "crash")
          crash(self, "crash command from " + c.caller);
        return table(c);
      },
      [self](tick_atom, uint64_t epoch) {
        if (epoch != self->state.epoch || !self->state.run.running)
          return;
        publish_one(self);
        schedule_tick(self);
      },
      [self](crash_atom) {
        if (claim_crash(config_of(self).service, config_of(self).crash_marker))
          crash(self, "crash_after_s");
      },
      [self](stats_atom) { emit_stats(self); },
      answer_watchdog(),
  };
}

} // namespace

void instrument_model::add_commands(runtime::command_table&,
                                    std::function<void(const std::string&)>) {
  // Start, stop, get_state, set_rate and crash are all some instruments have.
}

expected<instrument_config> instrument_config_from(const runtime::actor_args& args,
                                                   instrument_config defaults,
                                                   const std::string& kind) {
  auto c = std::move(defaults);
  c.name = args.name;
  c.service = args.param("service", args.name);
  c.channel =
      args.param("channel", args.publishes.empty() ? args.name + "/raw" : args.publishes[0]);
  c.autostart = args.param("autostart", c.autostart);
  c.crash_after_s = args.param("crash_after_s", c.crash_after_s);
  c.crash_mode = args.param("crash_mode", c.crash_mode);
  c.crash_marker = args.param("crash_marker", c.crash_marker);
  c.stats_period =
      std::chrono::milliseconds{args.param("stats_period_ms", int64_t{c.stats_period.count()})};
  c.stats_samples = args.param("stats_samples", c.stats_samples);
  if (c.crash_mode != "throw" && c.crash_mode != "abort")
    return error{errc::invalid_argument,
                 kind + " '" + c.name + "': crash_mode must be 'throw' or 'abort'"};
  return c;
}

caf::actor spawn_simulated_instrument(caf::actor_system& sys,
                                      std::shared_ptr<instrument_model> model) {
  return sys.spawn(instrument_behavior, std::move(model));
}

} // namespace dxhub::actors
