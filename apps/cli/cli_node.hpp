#pragma once

// The short-lived node a `dxhub` command joins a deployment with (`send`,
// `tail`, `ls`): an actor system and a node that knows the registry, talking
// through the same runtime API actors use.

#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/registry_record.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace dxhub::cli {

class cli_node {
public:
  /// Joins the registry at `registry` (not empty) as node "cli-<pid>", which
  /// registers nothing. Ended by SIGTERM or SIGINT, the command still
  /// removes its socket directory, then dies of the signal.
  explicit cli_node(const std::string& registry);
  ~cli_node();

  caf::actor_system& system() noexcept { return sys_; }
  const std::string& registry() const noexcept { return registry_; }

  /// Finds service `name`; an unreachable registry is `no_registry`, a name it
  /// does not know `unknown_service`, both naming what was asked.
  expected<runtime::service> find(caf::scoped_actor& self, const std::string& name,
                                  std::chrono::milliseconds timeout);

  /// Every registration whose name has prefix `prefix` ("" = all).
  expected<std::vector<registry_record>> list(const std::string& prefix,
                                              std::chrono::milliseconds timeout);

private:
  class signal_cleanup;

  std::string registry_;
  /// This command's own socket directory, removed at the end.
  std::string dir_;
  /// Removes `dir_` when SIGTERM or SIGINT ends the command (before the
  /// actor system: its threads inherit the blocked signals).
  std::unique_ptr<signal_cleanup> cleanup_;
  runtime::node_config cfg_;
  caf::actor_system sys_;
  runtime::node node_;
};

} // namespace dxhub::cli
