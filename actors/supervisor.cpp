#include "dxhub/actors/supervisor.hpp"

#include "dxhub/runtime/node.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <utility>

namespace dxhub::actors {

namespace {

using restart_atom = caf::atom_constant<caf::atom("sv_restart")>;
using watch_atom = caf::atom_constant<caf::atom("sv_watch")>;
using stop_timeout_atom = caf::atom_constant<caf::atom("sv_stopto")>;

struct child_slot {
  child_spec spec;
  caf::actor current;      // invalid while the child is not running
  caf::actor stopping;     // asked to stop, not yet down: its successor waits
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
  // Set once the supervisor is on its way out (exit request or escalation):
  // it quits with this reason when the last child is down.
  std::optional<caf::error> exit_reason;
  bool restart_due = false; // the backoff is over; starts wait for stops
  launch::restart_intensity intensity;
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

// Stops a running child on the supervisor's initiative. Its exit is not a
// failure; its down message ends the wait of whatever starts next (OTP
// order: stops complete before starts), or the shutdown timeout does.
void stop_child(supervisor_actor* self, std::size_t index, const std::string& why) {
  auto& slot = self->state.children[index];
  if (!slot.current)
    return;
  slot.stopping = std::exchange(slot.current, caf::actor{});
  slot.last_reason = why;
  self->send_exit(slot.stopping, caf::exit_reason::user_shutdown);
  report_child(self, "stop", slot);
  self->delayed_send(self, self->state.options.shutdown_timeout, stop_timeout_atom::value,
                     uint64_t{index}, slot.generation);
}

bool any_stopping(supervisor_actor* self) {
  for (auto& slot : self->state.children)
    if (slot.stopping)
      return true;
  return false;
}

void start_pending(supervisor_actor* self);

// Goes on once no child is stopping any more: quits when on the way out,
// else starts what is due.
void continue_after_stops(supervisor_actor* self) {
  auto& st = self->state;
  if (any_stopping(self))
    return;
  if (st.exit_reason) {
    self->quit(*st.exit_reason);
    return;
  }
  if (st.restart_due)
    start_pending(self);
}

void stopped(supervisor_actor* self, child_slot& slot) {
  forget(self, slot.stopping);
  slot.stopping = nullptr;
  continue_after_stops(self);
}

// A child that ignores the request to stop is killed; one that cannot even
// be killed (stuck in a blocking call) is abandoned so that the rest goes on.
void on_stop_timeout(supervisor_actor* self, std::size_t index, uint64_t generation) {
  auto& children = self->state.children;
  if (index >= children.size())
    return;
  auto& slot = children[index];
  if (!slot.stopping || slot.generation != generation)
    return;
  slot.last_reason =
      "did not stop within " + std::to_string(self->state.options.shutdown_timeout.count()) + " ms";
  report_child(self, "kill", slot);
  self->demonitor(slot.stopping);
  self->send_exit(slot.stopping, caf::exit_reason::kill);
  stopped(self, slot);
}

// Stops the running children in [first, end), newest first.
void stop_from(supervisor_actor* self, std::size_t first, const std::string& why,
               std::optional<std::size_t> except = std::nullopt) {
  for (auto i = self->state.children.size(); i-- > first;)
    if (i != except)
      stop_child(self, i, why);
}

void start_pending(supervisor_actor* self) {
  self->state.restart_due = false;
  auto pending = std::exchange(self->state.pending, {});
  for (auto index : pending)
    if (!self->state.exit_reason && !self->state.children[index].current)
      start_child(self, index, true);
}

// The backoff is over: start now, or once the children being stopped are down.
void restart_now(supervisor_actor* self) {
  self->state.restart_due = true;
  continue_after_stops(self);
}

void schedule_restarts(supervisor_actor* self) {
  auto& st = self->state;
  auto wait = st.intensity.backoff();
  ++st.restart_epoch;
  st.restart_due = false;
  if (wait.count() <= 0) {
    restart_now(self);
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

// Stops every child, newest first, and quits with `reason` once all are down.
void exit_after_stops(supervisor_actor* self, caf::error reason, const std::string& why) {
  auto& st = self->state;
  st.pending.clear();
  ++st.restart_epoch;
  st.exit_reason = std::move(reason);
  stop_from(self, 0, why);
  continue_after_stops(self);
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
  exit_after_stops(self, make_error(errc::restart_limit, why), "supervisor escalates");
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
    bool restartable = slot.spec.restart != launch::restart_kind::temporary;
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
  if (st.exit_reason)
    return; // on the way out: nothing is restarted
  bool abnormal = reason && reason != caf::exit_reason::normal;
  if (!launch::should_restart(slot.spec.restart, abnormal))
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
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (children[i].current && children[i].current.address() == msg.source) {
      handle_failure(self, i, msg.reason);
      return;
    }
    if (children[i].stopping && children[i].stopping.address() == msg.source) {
      stopped(self, children[i]);
      return;
    }
  }
  // A child abandoned earlier: nothing to do.
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
  st.intensity = launch::restart_intensity{options.limits};
  st.options = std::move(options);
  for (auto& spec : specs)
    st.children.push_back(child_slot{std::move(spec), {}, {}, 0, 0, {}});
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (!self->state.exit_reason)
      exit_after_stops(self, msg.reason, "supervisor exits");
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
  for (std::size_t i = 0; i < st.children.size() && !st.exit_reason; ++i)
    start_child(self, i, false);
  return {
      [=](restart_atom, uint64_t epoch) {
        if (epoch == self->state.restart_epoch)
          restart_now(self);
      },
      [=](stop_timeout_atom, uint64_t index, uint64_t generation) {
        on_stop_timeout(self, static_cast<std::size_t>(index), generation);
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
