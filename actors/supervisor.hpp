#pragma once

// The supervisor actor: starts children from their specs, watches them
// (monitor + optional watchdog), restarts them per strategy with backoff, and
// gives up (escalates) when they fail too often. OTP's supervisor, in CAF 0.17.

#include "dxhub/launch/restart_policy.hpp"
#include "dxhub/schemas/event.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::actors {

/// The watchdog's question; a watched child answers it with `caf::ok_atom`.
using watchdog_atom = caf::atom_constant<caf::atom("dxwatchdog")>;

/// The handler a watched child adds to its behavior to answer the watchdog:
/// `return {answer_watchdog(), ...};`.
inline auto answer_watchdog() {
  return [](watchdog_atom) { return caf::ok_atom::value; };
}

/// Which children are restarted when one fails.
enum class restart_strategy : uint8_t {
  one_for_one,  ///< Only the failed child.
  one_for_all,  ///< All children: the others are stopped, then all restarted.
  rest_for_one, ///< The failed child and those started after it.
};

/// "one_for_one", "one_for_all" or "rest_for_one".
std::string_view to_string(restart_strategy strategy) noexcept;

/// A child that does not answer `watchdog_atom` within `timeout` (asked every
/// `interval`) is treated as failed: killed and restarted like a crashed one.
struct watchdog_options {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{1000};
};

/// How to start one child, and how it is restarted.
struct child_spec {
  /// Unique among the supervisor's children; names the child in events.
  std::string name;
  /// Spawns the child with fresh state; called again for every restart.
  /// Returns an invalid handle when the child cannot start (a failure).
  std::function<caf::actor(caf::local_actor* supervisor)> start;
  launch::restart_kind restart = launch::restart_kind::permanent;
  std::optional<watchdog_options> watchdog;
};

/// Everything but the children.
struct supervisor_options {
  /// Names the supervisor in events: topic "dxhub/supervisor/<name>".
  std::string name = "supervisor";
  restart_strategy strategy = restart_strategy::one_for_one;
  /// Restart intensity (R restarts in T) and backoff.
  launch::restart_limits limits;
  /// How long a child asked to stop may take before it is killed; starts
  /// that follow stops wait for them (at most this long).
  std::chrono::milliseconds shutdown_timeout{5000};
  /// Receives every event (kinds "start", "exit", "stop", "kill", "restart",
  /// "backoff", "escalate"). When empty, events go to the event bus of the
  /// actor system's `runtime::node`, if it has one.
  std::function<void(const event&)> on_event;
};

/// Spawns a supervisor that starts `children` in order. It stops them in
/// reverse order when it exits; when the restart intensity is exceeded it
/// stops them and exits with `errc::restart_limit`, which its own supervisor
/// sees as a failure (escalation).
caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_options options,
                            std::vector<child_spec> children);

/// A child spec that runs a nested supervisor, for supervision trees.
child_spec supervisor_child(supervisor_options options, std::vector<child_spec> children);

/// Asked with `(caf::get_atom, std::string name)`, a supervisor answers with
/// the child's current handle (invalid while it is not running).
using child_handle_query = caf::get_atom;

} // namespace dxhub::actors
