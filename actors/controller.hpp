#pragma once

// A scripted controller: sends a list of commands to a service, one every
// interval (looping if asked), checks every reply, and reports each outcome
// as an event - the shape of experiment logic that drives an instrument.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace dxhub::actors {

/// One step of the script.
struct scripted_command {
  std::string name;
  /// JSON object text.
  std::string args = "{}";
  /// The step fails unless the reply is ok (true) or an error (false).
  bool expect_ok = true;
};

struct controller_config {
  std::string name = "controller";
  std::string service;
  /// The service the script talks to.
  std::string target;
  std::vector<scripted_command> script;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds start_delay{500};
  std::chrono::milliseconds timeout = runtime::default_call_timeout;
  /// Runs the script again after the last step.
  bool loop = true;
};

expected<controller_config> controller_config_from(const runtime::actor_args& args);

caf::actor spawn_controller(caf::actor_system& sys, controller_config config);

} // namespace dxhub::actors
