#include "dxhub/actors/recorder.hpp"

#include "dxhub/actors/audit_file.hpp"
#include "dxhub/actors/detail/recording_thread.hpp"
#include "dxhub/actors/detail/stock_actor.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/json_member.hpp"

#include <caf/all.hpp>

#include <cstring>
#include <memory>
#include <set>

namespace dxhub::actors {

namespace {

using tick_atom = caf::atom_constant<caf::atom("rec_tick")>;

constexpr auto tick_period = std::chrono::milliseconds{500};

struct channel_state {
  runtime::subscription sub;
  std::shared_ptr<const frame_schema> schema;
  uint64_t taken = 0;
};

struct recorder_state {
  recorder_config cfg;
  std::map<std::string, channel_state> channels;
  std::unique_ptr<detail::recording_thread> thread;
  detail::failure_count failures;
  uint64_t reported_failures = 0;
  bool done = false;
  std::string stop_reason;
  std::string run_id;
  detail::recording_stats final_stats;
  static inline const char* name = "recorder";

  ~recorder_state() {
    if (thread)
      (void)thread->stop("recorder stopped");
  }
};

using recorder_actor = caf::stateful_actor<recorder_state>;

nlohmann::json state_json(const recorder_state& st) {
  auto s = st.thread ? st.thread->stats() : st.final_stats;
  auto chans = nlohmann::json::array();
  for (const auto& c : s.channels)
    chans.push_back({{"channel", c.channel},
                     {"frames", c.frames},
                     {"missed", c.missed},
                     {"sessions", c.sessions},
                     {"refused", c.refused}});
  return {{"channels", st.cfg.channels},
          {"path", st.cfg.path},
          {"run_id", st.run_id},
          {"policy", std::string{runtime::name(st.cfg.policy)}},
          {"frames", s.frames},
          {"bytes", s.bytes},
          {"records", s.records},
          {"backlog_frames", s.backlog_frames},
          {"backlog_bytes", s.backlog_bytes},
          {"max_backlog_bytes", s.max_backlog_bytes},
          {"dropped", s.dropped},
          {"live", s.live},
          {"done", st.done},
          {"stop_reason", st.stop_reason},
          {"recorded", chans},
          {"failures", s.failures + st.failures.count},
          {"last_failure", !s.last_failure.empty() ? s.last_failure : st.failures.last}};
}

void finish(recorder_actor* self, const std::string& reason) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  st.stop_reason = reason;
  for (auto& [name, ch] : st.channels)
    ch.sub.cancel();
  if (st.thread) {
    if (auto closed = st.thread->stop(reason); !closed)
      st.failures.note(closed.error());
    st.final_stats = st.thread->stats();
    st.thread.reset();
  }
  (void)runtime::emit(self, st.cfg.service + "/state", "recording_done",
                      json_text{state_json(st).dump()});
}

void on_frame(recorder_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  if (st.done || !st.thread)
    return;
  auto it = st.channels.find(f.channel());
  if (it == st.channels.end())
    return;
  auto& ch = it->second;
  if (st.cfg.max_frames > 0 && ch.taken >= st.cfg.max_frames)
    return;
  if (!ch.schema || !(*ch.schema == f.schema()))
    ch.schema = std::make_shared<const frame_schema>(f.schema());
  detail::queued_frame q;
  q.channel = f.channel();
  q.schema = ch.schema;
  q.header = f.header();
  q.recorded_ns = wall_ns();
  auto payload = f.payload();
  q.payload = st.thread->buffer(payload.size());
  std::memcpy(q.payload.data(), payload.data(), payload.size());
  auto wait = st.cfg.policy == runtime::policy::reliable ? std::chrono::milliseconds{5000}
                                                         : std::chrono::milliseconds{0};
  if (st.thread->push(std::move(q), wait))
    ++ch.taken;
  if (st.cfg.max_frames > 0) {
    for (const auto& [name, c] : st.channels)
      if (c.taken < st.cfg.max_frames)
        return;
    finish(self, "max_frames");
  }
}

void on_status(recorder_actor* self, const runtime::channel_status& s) {
  auto& st = self->state;
  if (!st.thread || !st.cfg.audit)
    return;
  audit_record r;
  r.wall_ns = wall_ns();
  r.kind = "event";
  r.caller = runtime::source_name(self);
  r.target = s.channel;
  r.action = "channel_" + runtime::to_string(s.what);
  r.args = json_text{nlohmann::json{
      {"session", s.session}, {"error", std::string{name(s.code)}}, {"detail", s.detail}}
                         .dump()};
  st.thread->push(std::move(r));
}

/// Reports write failures (a full disk) as an event, once per new failure.
void on_tick(recorder_actor* self) {
  auto& st = self->state;
  if (st.done || !st.thread)
    return;
  auto s = st.thread->stats();
  if (s.failures > st.reported_failures) {
    st.reported_failures = s.failures;
    (void)runtime::emit(self, st.cfg.service + "/state", "recording_failed",
                        json_text{nlohmann::json{{"path", st.cfg.path},
                                                 {"failures", s.failures},
                                                 {"last_failure", s.last_failure}}
                                      .dump()});
  }
  self->delayed_send(self, tick_period, tick_atom::value);
}

expected<void> open_recorder(recorder_actor* self, runtime::command_table& cmds) {
  auto& st = self->state;
  recording_options opts;
  opts.path = st.cfg.path;
  opts.run = provenance_of_this_process();
  opts.channels = st.cfg.channels;
  opts.live_after = st.cfg.live_after;
  opts.formats = st.cfg.formats;
  DXHUB_TRY(thread, detail::recording_thread::start(std::move(opts), st.cfg.backlog_bytes));
  st.thread = std::move(thread);
  st.run_id = st.thread->run().run_id;
  runtime::subscription_options sub;
  sub.policy = st.cfg.policy;
  sub.queue_depth = st.cfg.queue_depth;
  sub.window = 8;
  for (const auto& c : st.cfg.channels) {
    DXHUB_TRY(s, runtime::subscribe(self, c, sub));
    st.channels[c].sub = std::move(s);
  }
  if (st.cfg.audit)
    DXHUB_TRYV(runtime::subscribe_events(self, st.cfg.audit_prefix));
  cmds.on("stop", [self] {
    finish(self, "stop command");
    return state_json(self->state);
  });
  self->delayed_send(self, tick_period, tick_atom::value);
  (void)runtime::emit(self, st.cfg.service + "/state", "recording_started",
                      json_text{nlohmann::json{{"path", st.cfg.path},
                                               {"run_id", st.thread->run().run_id},
                                               {"channels", st.cfg.channels}}
                                    .dump()});
  return ok();
}

caf::behavior recorder_behavior(recorder_actor* self, recorder_config cfg) {
  return detail::start_stock_actor(
      self, std::move(cfg), state_json,
      [self](runtime::command_table& cmds) { return open_recorder(self, cmds); },
      [self](const runtime::frame& f) { on_frame(self, f); },
      [self](const runtime::channel_status& s) { on_status(self, s); },
      [self](const event& e) {
        auto& st = self->state;
        if (st.thread && !st.done)
          st.thread->push(audit_record_of(e));
      },
      [self](tick_atom) { on_tick(self); });
}

} // namespace

expected<recorder_config> recorder_config_from(const runtime::actor_args& args) {
  const auto& p = args.params;
  recorder_config c;
  c.name = args.name;
  auto bad = [&](const std::string& what) {
    return error{errc::invalid_argument, "recorder '" + c.name + "': " + what};
  };
  try {
    c.service = p.value("service", args.name);
    if (p.contains("channels"))
      c.channels = p.at("channels").get<std::vector<std::string>>();
    else if (p.contains("channel"))
      c.channels = {p.at("channel").get<std::string>()};
    else
      c.channels = args.subscribes;
    c.path = p.value("path", c.path);
    c.max_frames = member_or(p, "max_frames", c.max_frames);
    c.queue_depth = member_or(p, "queue_depth", c.queue_depth);
    auto backlog_mib = member_or(p, "backlog_mib", c.backlog_bytes >> 20);
    if (backlog_mib > (uint64_t{1} << 20))
      return bad("backlog_mib must be 1 to 1048576 (1 TiB), got " + std::to_string(backlog_mib));
    c.backlog_bytes = backlog_mib << 20;
    c.audit = p.value("audit", c.audit);
    c.audit_prefix = p.value("audit_prefix", c.audit_prefix);
    c.live_after = std::chrono::milliseconds{member_or(p, "live_after_ms", int64_t{2000})};
    auto policy = p.value("policy", std::string{"latest"});
    if (!runtime::parse_policy(policy, c.policy) || c.policy == runtime::policy::work)
      return bad("policy must be 'latest' or 'reliable', got '" + policy + "'");
    // Units and deflate levels for every channel (key "") and per channel.
    std::map<std::string, std::map<std::string, std::string>> units;
    std::map<std::string, int> levels;
    if (auto u = p.find("units"); u != p.end()) {
      if (!u->is_object())
        return bad("units must be a table");
      for (auto& [key, value] : u->items()) {
        if (value.is_string())
          units[""][key] = value.get<std::string>();
        else if (value.is_object())
          for (auto& [field, unit] : value.items())
            units[key][field] = unit.get<std::string>();
        else
          return bad("units." + key + " must be a text or a table");
      }
    }
    if (auto d = p.find("deflate"); d != p.end()) {
      // An integer within 0..9 (checked below); anything else, 1e300 or
      // "fast", is refused here rather than converted.
      auto level_of = [](const nlohmann::json& level) {
        return level.is_number_integer() && level.get<int64_t>() >= 0 && level.get<int64_t>() <= 9
                   ? static_cast<int>(level.get<int64_t>())
                   : -1;
      };
      if (d->is_number_integer())
        levels[""] = level_of(*d);
      else if (d->is_object())
        for (auto& [channel, level] : d->items())
          levels[channel] = level_of(level);
      else
        return bad("deflate must be a level or a table of levels");
    }
    for (auto& [channel, level] : levels)
      if (level < 0 || level > 9)
        return bad("deflate must be an integer 0..9"
                   + (channel.empty() ? std::string{} : " (channel '" + channel + "')"));
    std::set<std::string> keys{""};
    for (auto& [k, v] : units)
      keys.insert(k);
    for (auto& [k, v] : levels)
      keys.insert(k);
    for (const auto& k : keys) {
      auto& fmt = c.formats[k];
      fmt.units = units[""];
      for (auto& [field, unit] : units[k])
        fmt.units[field] = unit;
      fmt.deflate = levels.count(k) ? levels[k] : levels[""];
    }
  } catch (const std::exception& e) {
    return bad(e.what());
  }
  if (c.channels.empty())
    return bad("no channel (subscribes or params.channels)");
  if (c.path.empty())
    return bad("empty path");
  if (c.backlog_bytes == 0)
    return bad("backlog_mib must be positive");
  return c;
}

caf::actor spawn_recorder(caf::actor_system& sys, recorder_config config) {
  return sys.spawn<caf::detached>(recorder_behavior, std::move(config));
}

} // namespace dxhub::actors
