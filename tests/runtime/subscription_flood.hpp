#pragma once

// A client flooding a node's frames publisher with subscriptions, and the
// node's `refused` event that answers it: shared by the suites that check
// the subscription caps (runtime.remote, actors.registry).

#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/tests/support/wait.hpp"

#include <caf/scoped_actor.hpp>
#include <zmq.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace dxhub::test {

/// Subscribes `topics` distinct topics ("flood/0", "flood/1", ...) on `sub`.
/// Give `sub` an unbounded send queue (`sndhwm` 0) before it connects:
/// past the queue's bound a SUB drops subscriptions instead of sending them.
inline void flood_subscriptions(::zmq::socket_t& sub, std::size_t topics) {
  for (std::size_t i = 0; i < topics; ++i)
    sub.set(::zmq::sockopt::subscribe, "flood/" + std::to_string(i));
}

/// The first event `self` receives within `limit`, if any.
inline std::optional<event> first_event(caf::scoped_actor& self, std::chrono::milliseconds limit) {
  std::optional<event> got;
  wait_until(
      [&] {
        self->receive([&](const event& e) { got = e; },
                      caf::after(std::chrono::milliseconds{100}) >> [] {});
        return got.has_value();
      },
      limit, std::chrono::milliseconds{1});
  return got;
}

} // namespace dxhub::test
