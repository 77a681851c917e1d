#include "stage.hpp"

#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace myexp {

namespace {

using namespace dxhub;
using step_atom = caf::atom_constant<caf::atom("stage_step")>;

struct stage_config {
  std::string name;
  double speed_mm_s = 10;
  double min_mm = -50;
  double max_mm = 50;
  std::chrono::milliseconds step{20};
};

struct stage_state {
  stage_config cfg;
  double pos_mm = 0;
  double target_mm = 0;
  double speed_mm_s = 0;
  runtime::deferred_reply arrival; // the `move_to` or `home` that waits
  static inline const char* name = "stage";
};

using stage_actor = caf::stateful_actor<stage_state>;

void emit_position(stage_actor* self, const char* kind) {
  nlohmann::json data{{"pos_mm", self->state.pos_mm}, {"target_mm", self->state.target_mm}};
  (void)runtime::emit(self, self->state.cfg.name + "/position", kind, json_text{data.dump()});
}

/// Starts a motion to `target`; the reply comes on arrival.
void start_motion(stage_actor* self, double target, double speed, runtime::deferred_reply done) {
  auto& st = self->state;
  if (st.arrival.pending()) {
    done.fail({errc::service_error, "stage '" + st.cfg.name + "' is busy moving to "
                                        + std::to_string(st.target_mm) + " mm"});
    return;
  }
  if (target < st.cfg.min_mm || target > st.cfg.max_mm) {
    done.fail({errc::invalid_argument, "pos_mm " + std::to_string(target) + " is outside ["
                                           + std::to_string(st.cfg.min_mm) + ", "
                                           + std::to_string(st.cfg.max_mm) + "] mm"});
    return;
  }
  st.target_mm = target;
  st.speed_mm_s = speed > 0 ? speed : st.cfg.speed_mm_s;
  st.arrival = std::move(done);
  self->send(self, step_atom::value);
}

/// One step of the motion; the last one answers the waiting command.
void step(stage_actor* self) {
  auto& st = self->state;
  double reach = st.speed_mm_s * std::chrono::duration<double>(st.cfg.step).count();
  double left = st.target_mm - st.pos_mm;
  if (std::abs(left) > reach) {
    st.pos_mm += std::copysign(reach, left);
    self->delayed_send(self, st.cfg.step, step_atom::value);
    return;
  }
  st.pos_mm = st.target_mm;
  emit_position(self, "arrived");
  st.arrival.deliver(stage_position{st.pos_mm, false});
}

caf::behavior stage_behavior(stage_actor* self, stage_config cfg) {
  self->state.cfg = std::move(cfg);
  runtime::set_label(self, self->state.cfg.name);
  runtime::command_table cmds;
  cmds.on_deferred<move_target>("move_to",
                                [self](const move_target& t, runtime::deferred_reply done) {
                                  start_motion(self, t.pos_mm, t.speed_mm_s, std::move(done));
                                });
  cmds.on_deferred(
      "home", [self](runtime::deferred_reply done) { start_motion(self, 0, 0, std::move(done)); });
  cmds.on("get_position", [self] {
    return stage_position{self->state.pos_mm, self->state.arrival.pending()};
  });
  if (auto served = runtime::serve(self, self->state.cfg.name, cmds); !served) {
    self->quit(make_error(served.error().code, served.error().context));
    return {};
  }
  return {cmds.handler(), [self](step_atom) { step(self); }};
}

} // namespace

dxhub::expected<caf::actor> spawn_stage(caf::actor_system& sys,
                                        const dxhub::runtime::actor_args& args) {
  stage_config c;
  c.name = args.name;
  c.speed_mm_s = args.param("speed_mm_s", c.speed_mm_s);
  c.min_mm = args.param("min_mm", c.min_mm);
  c.max_mm = args.param("max_mm", c.max_mm);
  c.step = std::chrono::milliseconds{args.param("step_ms", int64_t{20})};
  if (c.speed_mm_s <= 0 || c.step.count() <= 0 || c.min_mm > c.max_mm)
    return dxhub::error{dxhub::errc::invalid_argument,
                        "stage '" + c.name
                            + "': speed_mm_s and step_ms must be positive, "
                              "min_mm at most max_mm"};
  return sys.spawn(stage_behavior, std::move(c));
}

} // namespace myexp
