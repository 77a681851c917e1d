#pragma once

// The logger actor: the audit trail of a deployment. It subscribes to every
// event (the router's "dxhub/audit/command" records of every command, and
// every state change, crash and restart) and appends each as one JSON line
// to a size-rotated file (actors/audit_file.hpp), written through at once.

#include "dxhub/actors/audit_file.hpp"
#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

#include <string>

namespace dxhub::actors {

struct audit_logger_config {
  std::string name = "audit";
  std::string service;
  /// Events under this topic prefix are logged ("" = all).
  std::string prefix;
  audit_file_options file;
};

expected<audit_logger_config> audit_logger_config_from(const runtime::actor_args& args);

caf::actor spawn_audit_logger(caf::actor_system& sys, audit_logger_config config);

} // namespace dxhub::actors
