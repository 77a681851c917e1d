#pragma once

// How every stock actor starts and what its behavior ends with, written
// once: it takes its config (its label is the config's name), opens what it
// needs (subscriptions, publishers, files, timers), serves `get_state` and
// its own commands under the config's service name, and answers the
// watchdog. When anything fails to open, the actor quits with that error,
// which its supervisor or node reports.

#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace dxhub::actors::detail {

/// What a stock actor does with a failure it survives (a full disk, a
/// publish that found no chunk): count it, keep the reason, go on.
struct failure_count {
  uint64_t count = 0;
  std::string last;

  void note(const error& e) {
    ++count;
    last = e.what();
  }
};

/// Starts stock actor `self` with `cfg` and returns its behavior:
/// `open(commands)` opens what the actor needs and adds its own commands,
/// `state_of(state)` answers `get_state`, and `handlers` are its other
/// message handlers.
template <class State, class Config, class StateOf, class Open, class... Handlers>
caf::behavior start_stock_actor(caf::stateful_actor<State>* self, Config cfg, StateOf state_of,
                                Open open, Handlers... handlers) {
  self->state.cfg = std::move(cfg);
  runtime::set_label(self, self->state.cfg.name);
  runtime::command_table commands;
  commands.on("get_state", [self, state_of] { return state_of(self->state); });
  auto opened = open(commands);
  if (opened)
    opened = runtime::serve(self, self->state.cfg.service, commands);
  if (!opened) {
    self->quit(make_error(opened.error().code, opened.error().context));
    return {};
  }
  return {commands.handler(), std::move(handlers)..., answer_watchdog()};
}

} // namespace dxhub::actors::detail
