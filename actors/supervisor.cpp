#include "dxhub/actors/supervisor.hpp"

#include "dxhub/runtime/node.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

namespace dxhub::actors {

namespace {

using restart_atom = caf::atom_constant<caf::atom("sv_restart")>;
using watch_atom = caf::atom_constant<caf::atom("sv_watch")>;

struct child_slot {
  child_spec spec;
  caf::actor current;      // invalid while the child is not running
  uint64_t generation = 0; // bumped at every start; stale timers compare it
  uint32_t restarts = 0;
  std::string last_reason; // why it was last stopped or failed
};

struct supervisor_state {
  supervisor_options options;
  std::vector<child_slot> children;
  // The running children as the exit cleanup sees them: state may be gone by
  // the time attached functors run.
  std::shared_ptr<std::vector<caf::actor>> running = std::make_shared<std::vector<caf::actor>>();
  bool escalated = false;
  runtime::restart_intensity intensity;
  std::set<std::size_t> pending; // children to start when the backoff ends
  uint64_t restart_epoch = 0;    // delayed sends cannot be cancelled in 0.17
  uint64_t sequence = 0;
  static inline const char* name = "dxhub.supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

void report(supervisor_actor* self, const std::string& kind, nlohmann::json data) {
  auto& st = self->state;
  auto* node = st.options.on_event ? nullptr : runtime::node::of(self->home_system());
  if (!st.options.on_event && node == nullptr)
    return;
  event e;
  e.topic = "dxhub/supervisor/" + st.options.name;
  e.source = st.options.name;
  e.kind = kind;
  e.sequence = st.sequence++;
  e.wall_ns = wall_ns();
  e.data.text = data.dump();
  if (st.options.on_event)
    st.options.on_event(e);
  else
    node->emit(std::move(e)); // on the node's event bus
}

void report_child(supervisor_actor* self, const std::string& kind, const child_slot& slot) {
  report(self, kind,
         {{"child", slot.spec.name},
          {"reason", slot.last_reason},
          {"count", slot.restarts},
          {"generation", slot.generation}});
}

std::string render(supervisor_actor* self, const caf::error& reason) {
  if (!reason)
    return "normal";
  // dxhub errors read the same whether or not the system knows the category.
  if (reason.category() == error_category_atom)
    return from_caf_error(reason).what();
  return self->system().render(reason);
}

void handle_failure(supervisor_actor* self, std::size_t index, const caf::error& reason);

// Forgets `child` in the list the exit cleanup uses.
void forget(supervisor_actor* self, const caf::actor& child) {
  auto& running = *self->state.running;
  running.erase(std::remove(running.begin(), running.end(), child), running.end());
}

void arm_watchdog(supervisor_actor* self, std::size_t index) {
  auto& slot = self->state.children[index];
  if (slot.spec.watchdog)
    self->delayed_send(self, slot.spec.watchdog->interval, watch_atom::value, uint64_t{index},
                       slot.generation);
}

// Starts child `index`; a child that cannot start counts as a failure.
void start_child(supervisor_actor* self, std::size_t index, bool is_restart) {
  auto& slot = self->state.children[index];
  ++slot.generation;
  auto child = slot.spec.start ? slot.spec.start(self) : caf::actor{};
  if (!child) {
    report_child(self, is_restart ? "restart" : "start", slot);
    handle_failure(self, index,
                   make_error(errc::service_error, "child '" + slot.spec.name + "' did not start"));
    return;
  }
  slot.current = child;
  self->state.running->push_back(child);
  self->monitor(child);
  if (is_restart)
    ++slot.restarts;
  report_child(self, is_restart ? "restart" : "start", slot);
  arm_watchdog(self, index);
}

// Stops a running child on the supervisor's initiative; its exit is not a
// failure, so it is no longer monitored.
void stop_child(supervisor_actor* self, std::size_t index, const std::string& why,
                caf::exit_reason how = caf::exit_reason::user_shutdown) {
  auto& slot = self->state.children[index];
  if (!slot.current)
    return;
  self->demonitor(slot.current);
  self->send_exit(slot.current, how);
  forget(self, slot.current);
  slot.current = nullptr;
  slot.last_reason = why;
  report_child(self, "stop", slot);
}

// Stops the running children in [first, end), newest first.
void stop_from(supervisor_actor* self, std::size_t first, const std::string& why,
               std::optional<std::size_t> except = std::nullopt) {
  for (auto i = self->state.children.size(); i-- > first;)
    if (i != except)
      stop_child(self, i, why);
}

void start_pending(supervisor_actor* self) {
  auto pending = std::exchange(self->state.pending, {});
  for (auto index : pending)
    if (!self->state.escalated && !self->state.children[index].current)
      start_child(self, index, true);
}

void schedule_restarts(supervisor_actor* self) {
  auto& st = self->state;
  auto wait = st.intensity.backoff();
  ++st.restart_epoch;
  if (wait.count() <= 0) {
    start_pending(self);
    return;
  }
  report(self, "backoff",
         {{"children",
           [&] {
             auto names = nlohmann::json::array();
             for (auto i : st.pending)
               names.push_back(st.children[i].spec.name);
             return names;
           }()},
          {"wait_ms", wait.count()}});
  self->delayed_send(self, wait, restart_atom::value, st.restart_epoch);
}

void escalate(supervisor_actor* self, const child_slot& failed) {
  auto& st = self->state;
  auto& limits = st.intensity.limits();
  auto why = "supervisor '" + st.options.name + "': child '" + failed.spec.name + "' failed "
             + std::to_string(st.intensity.recent()) + " times within "
             + std::to_string(limits.within.count()) + " ms (limit "
             + std::to_string(limits.max_restarts) + ")";
  report(self, "escalate",
         {{"child", failed.spec.name},
          {"reason", failed.last_reason},
          {"count", st.intensity.recent()},
          {"limit", limits.max_restarts}});
  st.pending.clear();
  ++st.restart_epoch;
  st.escalated = true;
  stop_from(self, 0, "supervisor escalates");
  self->quit(make_error(errc::restart_limit, why));
}

// The children a failure of `index` restarts under the strategy; the others
// concerned are stopped first, newest first.
void apply_strategy(supervisor_actor* self, std::size_t index) {
  auto& st = self->state;
  auto& failed = st.children[index];
  auto why = "child '" + failed.spec.name + "' failed";
  std::size_t first = index;
  switch (st.options.strategy) {
    case restart_strategy::one_for_one:
      st.pending.insert(index);
      return;
    case restart_strategy::one_for_all:
      first = 0;
      break;
    case restart_strategy::rest_for_one:
      break;
  }
  // Which were running before the stop decides who comes back: a child that
  // had already ended on its own (e.g. a temporary one) stays down.
  std::vector<std::size_t> targets;
  for (auto i = first; i < st.children.size(); ++i) {
    auto& slot = st.children[i];
    bool restartable = slot.spec.restart != runtime::restart_kind::temporary;
    if (i == index || (slot.current && restartable) || st.pending.count(i) > 0)
      targets.push_back(i);
  }
  stop_from(self, first, why, index);
  st.pending.insert(targets.begin(), targets.end());
}

void handle_failure(supervisor_actor* self, std::size_t index, const caf::error& reason) {
  auto& st = self->state;
  auto& slot = st.children[index];
  forget(self, slot.current);
  slot.current = nullptr;
  slot.last_reason = render(self, reason);
  report_child(self, "exit", slot);
  bool abnormal = reason && reason != caf::exit_reason::normal;
  if (!runtime::should_restart(slot.spec.restart, abnormal))
    return;
  if (!st.intensity.record_failure(self->clock().now())) {
    escalate(self, slot);
    return;
  }
  apply_strategy(self, index);
  schedule_restarts(self);
}

void on_down(supervisor_actor* self, const caf::down_msg& msg) {
  auto& children = self->state.children;
  for (std::size_t i = 0; i < children.size(); ++i)
    if (children[i].current && children[i].current.address() == msg.source) {
      handle_failure(self, i, msg.reason);
      return;
    }
  // A child stopped or abandoned earlier: nothing to do.
}

void on_watch(supervisor_actor* self, std::size_t index, uint64_t generation) {
  auto& children = self->state.children;
  if (index >= children.size())
    return;
  auto& slot = children[index];
  if (slot.generation != generation || !slot.current || !slot.spec.watchdog)
    return;
  auto timeout = slot.spec.watchdog->timeout;
  self->request(slot.current, timeout, watchdog_atom::value)
      .then(
          [=](caf::ok_atom) {
            auto& now = self->state.children[index];
            if (now.generation == generation && now.current)
              arm_watchdog(self, index);
          },
          [=](caf::error& err) {
            auto& now = self->state.children[index];
            if (now.generation != generation || !now.current)
              return; // it already ended; its down message did the work
            // A hung child may never run again to process an exit message: kill
            // it, stop watching it and treat it as failed right away.
            auto hung = now.current;
            self->demonitor(hung);
            self->send_exit(hung, caf::exit_reason::kill);
            auto what = "watchdog: no answer from '" + now.spec.name + "' within "
                        + std::to_string(timeout.count()) + " ms (" + render(self, err) + ")";
            handle_failure(self, index, make_error(errc::timeout, what));
          });
}

caf::behavior supervisor_impl(supervisor_actor* self, supervisor_options options,
                              std::vector<child_spec> specs) {
  auto& st = self->state;
  st.intensity = runtime::restart_intensity{options.limits};
  st.options = std::move(options);
  for (auto& spec : specs)
    st.children.push_back(child_slot{std::move(spec), {}, 0, 0, {}});
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    self->state.pending.clear();
    stop_from(self, 0, "supervisor exits");
    self->quit(msg.reason);
  });
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
        return caf::message{};
      });
  // Also when the supervisor is killed (no exit handler runs): no child may
  // outlive it.
  self->attach_functor([running = st.running](const caf::error&) {
    for (auto i = running->size(); i-- > 0;)
      caf::anon_send_exit((*running)[i], caf::exit_reason::user_shutdown);
  });
  for (std::size_t i = 0; i < st.children.size() && !st.escalated; ++i)
    start_child(self, i, false);
  return {
      [=](restart_atom, uint64_t epoch) {
        if (epoch == self->state.restart_epoch)
          start_pending(self);
      },
      [=](watch_atom, uint64_t index, uint64_t generation) {
        on_watch(self, static_cast<std::size_t>(index), generation);
      },
      [=](caf::get_atom, const std::string& name) -> caf::actor {
        for (auto& slot : self->state.children)
          if (slot.spec.name == name)
            return slot.current;
        return {};
      },
  };
}

} // namespace

std::string_view to_string(restart_strategy strategy) noexcept {
  switch (strategy) {
    case restart_strategy::one_for_one:
      return "one_for_one";
    case restart_strategy::one_for_all:
      return "one_for_all";
    case restart_strategy::rest_for_one:
      return "rest_for_one";
  }
  return "one_for_one";
}

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_options options,
                            std::vector<child_spec> children) {
  return sys.spawn(supervisor_impl, std::move(options), std::move(children));
}

child_spec supervisor_child(supervisor_options options, std::vector<child_spec> children) {
  child_spec spec;
  spec.name = options.name;
  spec.start = [options, children](caf::local_actor* parent) {
    return spawn_supervisor(parent->system(), options, children);
  };
  return spec;
}

} // namespace dxhub::actors
