#include "dxhub/actors/recorder.hpp"

#include "dxhub/actors/detail/stock_actor.hpp"
#include "dxhub/actors/recording.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <optional>

namespace dxhub::actors {

namespace {

struct recorder_state {
  recorder_config cfg;
  runtime::subscription sub;
  std::optional<recording_writer> writer;
  detail::failure_count failures;
  bool done = false;
  static inline const char* name = "recorder";
};

using recorder_actor = caf::stateful_actor<recorder_state>;

nlohmann::json state_json(const recorder_state& st) {
  return {{"channel", st.cfg.channel},
          {"path", st.cfg.path},
          {"frames", st.writer ? st.writer->frames() : 0},
          {"done", st.done},
          {"failures", st.failures.count},
          {"last_failure", st.failures.last}};
}

void finish(recorder_actor* self) {
  auto& st = self->state;
  st.done = true;
  st.sub.cancel();
  if (st.writer)
    (void)st.writer->flush();
  (void)runtime::emit(self, st.cfg.service + "/state", "recording_done",
                      json_text{state_json(st).dump()});
}

void on_frame(recorder_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  if (st.done)
    return;
  if (!st.writer) {
    auto w = recording_writer::create(st.cfg.path, f.channel(), f.schema());
    if (!w)
      return st.failures.note(w.error());
    st.writer.emplace(std::move(w.value()));
  }
  // Flushed per frame: a crash of the recorder loses at most the frame at hand.
  if (auto written = st.writer->write(f.header(), f.payload()); !written)
    return st.failures.note(written.error());
  if (auto flushed = st.writer->flush(); !flushed)
    return st.failures.note(flushed.error());
  if (st.cfg.max_frames > 0 && st.writer->frames() >= st.cfg.max_frames)
    finish(self);
}

expected<void> open_recorder(recorder_actor* self, runtime::command_table& cmds) {
  auto& st = self->state;
  runtime::subscription_options opts;
  opts.policy = runtime::policy::reliable;
  opts.queue_depth = st.cfg.queue_depth;
  DXHUB_TRY(sub, runtime::subscribe(self, st.cfg.channel, opts));
  st.sub = std::move(sub);
  cmds.on("stop", [self] {
    if (!self->state.done)
      finish(self);
    return state_json(self->state);
  });
  return ok();
}

caf::behavior recorder_behavior(recorder_actor* self, recorder_config cfg) {
  return detail::start_stock_actor(
      self, std::move(cfg), state_json,
      [self](runtime::command_table& cmds) { return open_recorder(self, cmds); },
      [self](const runtime::frame& f) { on_frame(self, f); },
      [](const runtime::channel_status&) {});
}

} // namespace

expected<recorder_config> recorder_config_from(const runtime::actor_args& args) {
  const auto& p = args.params;
  recorder_config c;
  c.name = args.name;
  c.service = p.value("service", args.name);
  c.channel = p.value("channel", args.subscribes.empty() ? std::string{} : args.subscribes[0]);
  c.path = p.value("path", c.path);
  c.max_frames = p.value("max_frames", c.max_frames);
  c.queue_depth = p.value("queue_depth", c.queue_depth);
  if (c.channel.empty())
    return error{errc::invalid_argument,
                 "recorder '" + c.name + "': no channel (subscribes or params.channel)"};
  return c;
}

caf::actor spawn_recorder(caf::actor_system& sys, recorder_config config) {
  return sys.spawn(recorder_behavior, std::move(config));
}

} // namespace dxhub::actors
