#pragma once

// A real actor system with a dxhub node, for runtime suites that run in one
// process: the actors run on CAF's scheduler, the test talks to them through
// a scoped actor and bounded receives.

#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace dxhub::test {

inline runtime::node_options single_process_node(std::string name) {
  runtime::node_options opts;
  opts.name = std::move(name);
  opts.host_id = "test-host";
  opts.networked = false;
  opts.shared_memory = false;
  return opts;
}

struct node_fixture {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node node{sys, single_process_node("test-node")};
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

/// A small image frame: a u16 2D field plus a f64 timestamp array.
inline frame_schema camera_schema(const std::string& name = "test.camera", uint32_t version = 1) {
  frame_schema s;
  s.name = name;
  s.version = version;
  s.fields = {field{"image", dtype::u16, shape{16, 16}}, field{"stamps", dtype::f64, shape{4}}};
  return s;
}

} // namespace dxhub::test
