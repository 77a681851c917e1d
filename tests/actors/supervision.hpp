#pragma once

// A deterministic playground for supervisor suites: worker children that
// count, crash (throw), exit normally or hang on request; a log of every
// supervisor event as "kind child"; the handles of the running children.

#include "dxhub/actors/supervisor.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dxhub::test {

using crash_atom = caf::atom_constant<caf::atom("crash")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;
using hang_atom = caf::atom_constant<caf::atom("hang")>;

/// A child with fresh state on every start: a running total.
inline caf::behavior worker(caf::stateful_actor<int>* me, std::string name,
                            std::shared_ptr<std::vector<std::string>> ended) {
  me->attach_functor([=](const caf::error&) { ended->push_back(name); });
  return {
      actors::answer_watchdog(),
      [=](caf::add_atom, int x) { return me->state += x; },
      [=](crash_atom) { throw std::runtime_error("driver segfault"); },
      [=](finish_atom) { me->quit(); },
      [=](hang_atom) {
        // Stops answering: the watchdog's question gets a promise that is never
        // delivered, like an actor stuck in a driver call.
        me->become(
            [=](actors::watchdog_atom) { return me->make_response_promise<caf::ok_atom>(); });
      },
  };
}

/// A child that ignores requests to stop (it traps exit messages).
inline caf::behavior stubborn_worker(caf::stateful_actor<int>* me, std::string name,
                                     std::shared_ptr<std::vector<std::string>> ended) {
  me->set_exit_handler([](caf::exit_msg&) {});
  return worker(me, std::move(name), std::move(ended));
}

struct supervision_fixture : test_coordinator_fixture<> {
  /// Every supervisor event as "kind child" (or "kind" without a child).
  std::vector<std::string> events;
  /// The events themselves, for their data.
  std::vector<event> raw_events;
  /// Names of terminated worker instances, in termination order.
  std::shared_ptr<std::vector<std::string>> ended = std::make_shared<std::vector<std::string>>();
  /// The current instance of each child, by name.
  std::shared_ptr<std::map<std::string, caf::actor>> current =
      std::make_shared<std::map<std::string, caf::actor>>();
  std::vector<caf::actor> supervisors;
  /// Cleared when the fixture goes: supervisors may still report while the
  /// actor system (a base class) shuts down, after these members are gone.
  std::shared_ptr<bool> listening = std::make_shared<bool>(true);

  ~supervision_fixture() override {
    for (auto& sup : supervisors)
      caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    sched.run();
    *listening = false;
  }

  actors::supervisor_options options(actors::restart_strategy strategy, std::string name = "sup") {
    actors::supervisor_options opts;
    opts.name = std::move(name);
    opts.strategy = strategy;
    opts.limits.max_restarts = 10;
    opts.limits.within = std::chrono::seconds{10};
    opts.limits.backoff_base = std::chrono::milliseconds{0};
    opts.on_event = [this, listening = listening](const event& e) {
      if (!*listening)
        return;
      raw_events.push_back(e);
      auto data = nlohmann::json::parse(e.data.text);
      events.push_back(data.contains("child") ? e.kind + " " + data["child"].get<std::string>()
                                              : e.kind);
    };
    return opts;
  }

  actors::child_spec child(std::string name,
                           launch::restart_kind kind = launch::restart_kind::permanent) {
    actors::child_spec spec;
    spec.name = name;
    spec.restart = kind;
    spec.start = [name, ended = ended, current = current](caf::local_actor* sup) {
      auto hdl = sup->system().spawn(worker, name, ended);
      (*current)[name] = hdl;
      return hdl;
    };
    return spec;
  }

  actors::child_spec stubborn_child(std::string name) {
    auto spec = child(name);
    spec.start = [name, ended = ended, current = current](caf::local_actor* sup) {
      auto hdl = sup->system().spawn(stubborn_worker, name, ended);
      (*current)[name] = hdl;
      return hdl;
    };
    return spec;
  }

  caf::actor supervise(actors::supervisor_options opts, std::vector<actors::child_spec> children) {
    auto sup = actors::spawn_supervisor(sys, std::move(opts), std::move(children));
    supervisors.push_back(sup);
    sched.run();
    return sup;
  }

  /// The instance of child `name` now running.
  caf::actor of(const std::string& name) { return current->at(name); }

  /// Lets `d` pass on the virtual clock, then runs what became due.
  void pass(std::chrono::milliseconds d) {
    advance_time(d);
    sched.run();
  }

  /// The events logged since index `from`.
  std::vector<std::string> since(std::size_t from) const {
    return {events.begin() + static_cast<std::ptrdiff_t>(from), events.end()};
  }
};

/// Renders a list of strings for check output.
inline std::string show(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (auto& x : xs)
    out += (out.size() > 1 ? ", " : "") + x;
  return out + "]";
}

} // namespace dxhub::test
