#include "dxhub/actors/recorder.hpp"

#include "dxhub/actors/recording.hpp"
#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <optional>

namespace dxhub::actors {

namespace {

struct recorder_state {
  recorder_config cfg;
  runtime::subscription sub;
  std::optional<recording_writer> writer;
  uint64_t failures = 0;
  std::string last_failure;
  bool done = false;
  static inline const char* name = "recorder";
};

using recorder_actor = caf::stateful_actor<recorder_state>;

nlohmann::json state_json(const recorder_state& st) {
  return {{"channel", st.cfg.channel},
          {"path", st.cfg.path},
          {"frames", st.writer ? st.writer->frames() : 0},
          {"done", st.done},
          {"failures", st.failures},
          {"last_failure", st.last_failure}};
}

void note_failure(recorder_actor* self, const error& e) {
  ++self->state.failures;
  self->state.last_failure = e.what();
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
      return note_failure(self, w.error());
    st.writer.emplace(std::move(w.value()));
  }
  // Flushed per frame: a crash of the recorder loses at most the frame at hand.
  if (auto written = st.writer->write(f.header(), f.payload()); !written)
    return note_failure(self, written.error());
  if (auto flushed = st.writer->flush(); !flushed)
    return note_failure(self, flushed.error());
  if (st.cfg.max_frames > 0 && st.writer->frames() >= st.cfg.max_frames)
    finish(self);
}

caf::behavior recorder_behavior(recorder_actor* self, recorder_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  runtime::set_label(self, st.cfg.name);
  auto fail = [self](const error& e) {
    self->quit(make_error(e.code, e.context));
    return caf::behavior{};
  };
  runtime::subscription_options opts;
  opts.policy = runtime::policy::reliable;
  opts.queue_depth = st.cfg.queue_depth;
  auto sub = runtime::subscribe(self, st.cfg.channel, opts);
  if (!sub)
    return fail(sub.error());
  st.sub = std::move(sub.value());
  runtime::command_table cmds;
  cmds.on("get_state", [self] { return state_json(self->state); });
  cmds.on("stop", [self] {
    if (!self->state.done)
      finish(self);
    return state_json(self->state);
  });
  if (auto served = runtime::serve(self, st.cfg.service, cmds); !served)
    return fail(served.error());
  return {
      cmds.handler(),
      [self](const runtime::frame& f) { on_frame(self, f); },
      [](const runtime::channel_status&) {},
      answer_watchdog(),
  };
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
