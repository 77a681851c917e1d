#pragma once

// A real actor system with a dxhub node, for runtime suites that run in one
// process: the actors run on CAF's scheduler, the test talks to them through
// a scoped actor and bounded receives.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/tests/runtime/frames.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::test {

inline runtime::node_options single_process_node(std::string name, bool shared_memory = false) {
  runtime::node_options opts;
  opts.name = std::move(name);
  opts.host_id = "test-host";
  opts.networked = false;
  opts.shared_memory = shared_memory;
  return opts;
}

/// A node with frames handed over inside the process (no shared memory).
struct node_fixture {
  explicit node_fixture(bool shared_memory = false)
    : node{sys, single_process_node("test-node", shared_memory)} {}

  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node node;
  caf::scoped_actor self{sys};
  std::vector<caf::actor> spawned;

  /// Spawns an actor that is killed when the test ends, even when it fails
  /// (the actor system's destructor would otherwise wait for it forever).
  template <class... Ts>
  caf::actor spawn(Ts&&... xs) {
    auto a = sys.spawn(std::forward<Ts>(xs)...);
    spawned.push_back(a);
    return a;
  }

  ~node_fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
  }
};

/// How long a test waits for a message that must come: generous, since CI
/// machines are slow and sanitizers slower; never a performance assertion.
inline constexpr std::chrono::seconds must_arrive{10};

/// A subscriber actor that forwards every frame and status to `sink`.
inline caf::behavior forwarder(caf::event_based_actor* self, caf::actor sink, std::string channel,
                               runtime::subscription_options opts) {
  auto sub = runtime::subscribe(self, channel, opts);
  if (!sub)
    self->send(sink, sub.error().context);
  return {
      [=](const runtime::frame& f) { self->send(sink, f); },
      [=](const runtime::channel_status& s) { self->send(sink, s); },
      [](caf::atom_value ping) { return ping; }, // answered once subscribed
  };
}

/// What a publisher answers a loan of another channel: channel "test/loan/a"
/// loans, "test/loan/b" is asked to publish it; then "a" publishes a loan of
/// its own.
struct foreign_loan_outcome {
  std::optional<runtime::transport> via; // of "a"; none: a publisher could not open
  std::optional<error> refused;          // what "b" answered, if an error
  bool own_published = false;
};

inline foreign_loan_outcome publish_foreign_loan(runtime::node& node) {
  foreign_loan_outcome out;
  auto a = runtime::publish(node, "test/loan/a", camera_schema());
  auto b = runtime::publish(node, "test/loan/b", camera_schema());
  if (!a || !b)
    return out;
  out.via = a.value().transport();
  if (auto loan = a.value().loan()) {
    if (auto wrong = b.value().publish(std::move(loan.value())); !wrong)
      out.refused = wrong.error();
  }
  if (auto own = a.value().loan())
    out.own_published = a.value().publish(std::move(own.value())).has_value();
  return out;
}

} // namespace dxhub::test
