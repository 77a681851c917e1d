#include "dxhub/actors/controller.hpp"

#include "dxhub/actors/detail/stock_actor.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

namespace dxhub::actors {

namespace {

using step_atom = caf::atom_constant<caf::atom("ctl_step")>;

struct controller_state {
  controller_config cfg;
  std::size_t next = 0;
  uint64_t sent = 0;
  uint64_t passed = 0;
  uint64_t failed = 0;
  std::string last_error;
  static inline const char* name = "controller";
};

using controller_actor = caf::stateful_actor<controller_state>;

nlohmann::json state_json(const controller_state& st) {
  return {{"target", st.cfg.target},
          {"sent", st.sent},
          {"passed", st.passed},
          {"failed", st.failed},
          {"last_error", st.last_error}};
}

void report(controller_actor* self, const scripted_command& step, bool ok, const std::string& why,
            int64_t started) {
  auto& st = self->state;
  bool as_expected = ok == step.expect_ok;
  ++(as_expected ? st.passed : st.failed);
  if (!as_expected)
    st.last_error = step.name + ": " + why;
  nlohmann::json data{{"command", step.name},
                      {"ok", ok},
                      {"as_expected", as_expected},
                      {"error", why},
                      {"latency_ns", monotonic_ns() - started}};
  (void)runtime::emit(self, st.cfg.service + "/step", "step", json_text{data.dump()});
}

void run_step(controller_actor* self) {
  auto& st = self->state;
  if (st.next >= st.cfg.script.size()) {
    if (!st.cfg.loop || st.cfg.script.empty())
      return;
    st.next = 0;
  }
  auto step = st.cfg.script[st.next++];
  ++st.sent;
  auto started = monotonic_ns();
  auto timeout = st.cfg.timeout;
  runtime::lookup(self, st.cfg.target, timeout)
      .then(
          [self, step, started, timeout](const runtime::service& svc) {
            runtime::call_json(self, svc, step.name, json_text{step.args}, timeout)
                .then(
                    [self, step, started](const reply& r) {
                      report(self, step, r.ok(),
                             r.ok() ? "" : std::string{name(r.code)} + ": " + r.error_context,
                             started);
                    },
                    [self, step, started](caf::error& e) {
                      report(self, step, false, from_caf_error(e).what(), started);
                    });
          },
          [self, step, started](caf::error& e) {
            report(self, step, false, from_caf_error(e).what(), started);
          });
  self->delayed_send(self, st.cfg.interval, step_atom::value);
}

caf::behavior controller_behavior(controller_actor* self, controller_config cfg) {
  return detail::start_stock_actor(
      self, std::move(cfg), state_json,
      [self](runtime::command_table&) -> expected<void> {
        self->delayed_send(self, self->state.cfg.start_delay, step_atom::value);
        return ok();
      },
      [self](step_atom) { run_step(self); });
}

} // namespace

expected<controller_config> controller_config_from(const runtime::actor_args& args) {
  controller_config c;
  c.name = args.name;
  c.service = args.param("service", args.name);
  c.target = args.param("target", std::string{});
  if (c.target.empty())
    return error{errc::invalid_argument, "controller '" + c.name + "': no target service"};
  c.interval = std::chrono::milliseconds{args.param("interval_ms", int64_t{1000})};
  c.start_delay = std::chrono::milliseconds{args.param("start_delay_ms", int64_t{500})};
  c.timeout = std::chrono::milliseconds{
      args.param("timeout_ms", int64_t{runtime::default_call_timeout.count()})};
  c.loop = args.param("loop", c.loop);
  if (c.interval.count() <= 0 || c.timeout.count() <= 0)
    return error{errc::invalid_argument,
                 "controller '" + c.name + "': interval_ms and timeout_ms must be positive"};
  auto script = args.param("script", nlohmann::json::array());
  if (!script.is_array())
    return error{errc::invalid_argument, "controller '" + c.name + "': script must be a list"};
  for (const auto& step : script) {
    scripted_command sc;
    if (step.is_string()) {
      sc.name = step.get<std::string>();
    } else if (step.is_object()) {
      sc.name = step.value("command", std::string{});
      sc.args = step.value("args", nlohmann::json::object()).dump();
      sc.expect_ok = step.value("expect_ok", true);
    }
    if (sc.name.empty())
      return error{errc::invalid_argument,
                   "controller '" + c.name + "': a script step needs a command: " + step.dump()};
    c.script.push_back(std::move(sc));
  }
  return c;
}

caf::actor spawn_controller(caf::actor_system& sys, controller_config config) {
  return sys.spawn(controller_behavior, std::move(config));
}

} // namespace dxhub::actors
