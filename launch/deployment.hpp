#pragma once

// A deployment file (TOML) describes a multi-process system: its nodes (one
// process each), the actors each node hosts by registered type name with
// their parameters, the channels, restart policies, hosts and endpoints, and
// where the registry runs. `dxhub run FILE.toml` starts it; `dxhub-node`
// reads its own part. The format is documented in docs/deployment.md and in
// examples/deployments/lab.toml.

#include "dxhub/launch/restart_policy.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/json_text.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::launch {

/// How a node process is restarted and watched by the launcher.
struct node_restart {
  restart_kind kind = restart_kind::permanent;
  restart_limits limits;
  /// A node that sends no heartbeat for this long is killed and restarted;
  /// zero disables the heartbeat check for the node.
  std::chrono::milliseconds heartbeat_timeout{3000};
  /// The first heartbeat must come within this time after the start.
  std::chrono::milliseconds start_timeout{10000};
};

/// How an actor is restarted by its node's supervisor.
struct actor_restart {
  restart_kind kind = restart_kind::permanent;
  restart_limits limits;
  /// Watchdog period and timeout; zero disables the watchdog.
  std::chrono::milliseconds watchdog{0};
};

/// One actor hosted by a node.
struct actor_spec {
  /// The registered actor type, e.g. "simulated_camera".
  std::string type;
  /// Unique in the deployment; its label and default service name.
  std::string name;
  /// The parameters handed to the actor type's factory, a JSON object.
  json_text params{"{}"};
  /// Channels it publishes and subscribes to.
  std::vector<std::string> publishes;
  std::vector<std::string> subscribes;
  actor_restart restart;
  /// Where it is defined (line in the deployment file), and its `type`.
  int line = 0;
  int type_line = 0;
};

/// One node: an OS process running a dxhub runtime.
struct node_spec {
  std::string name;
  std::string host = "localhost";
  /// The program to start; empty means the launcher's default (dxhub-node).
  std::string program;
  /// Actor plugins (shared libraries) the node loads before it starts its
  /// actors; relative paths are resolved against the deployment file's folder.
  std::vector<std::string> plugins;
  /// Extra arguments appended after `--deployment FILE --node NAME`.
  std::vector<std::string> args;
  /// The node's ZeroMQ endpoint; empty means chosen by the runtime.
  std::string endpoint;
  /// Extra environment variables for the process.
  std::map<std::string, std::string> env;
  std::vector<actor_spec> actors;
  node_restart restart;
  int line = 0;
};

/// A channel declared at deployment level (e.g. fed from outside), so that
/// subscribers may name it without an actor of the deployment publishing it.
struct channel_spec {
  std::string name;
  std::string schema;
  int line = 0;
};

/// Where the registry runs.
struct registry_spec {
  /// Embedded in the launcher (`dxhub run`) unless `node` names a node.
  bool embedded = true;
  std::string node;
  /// Its endpoint; empty means the runtime's default.
  std::string endpoint;
};

struct deployment {
  /// The file it was read from.
  std::string file;
  /// Names the deployment; also its shared-memory prefix "dxhub.<name>.".
  std::string name;
  std::string description;
  /// Between SIGTERM and SIGKILL when the deployment stops.
  std::chrono::milliseconds grace{5000};
  registry_spec registry;
  /// The defaults every node's restart policy starts from.
  node_restart restart;
  std::vector<channel_spec> channels;
  std::vector<node_spec> nodes;

  /// The node named `name`, or nullptr.
  const node_spec* find_node(std::string_view name) const noexcept;

  /// The prefix of the deployment's shared-memory segments ("dxhub.lab.").
  std::string shm_prefix() const { return "dxhub." + name + "."; }
};

/// Checks that need more than the file: which actor types exist.
struct deployment_checks {
  /// True when an actor type of that name is registered; when empty, any
  /// type name is accepted (e.g. the launcher, which hosts no actors).
  std::function<bool(std::string_view)> known_actor_type;
  /// When set, only this node's actor types are checked (a node knows its
  /// own types, not those of the other nodes' plugins or programs).
  std::string only_node;
};

/// Reads and validates a deployment file. Every error is `errc::config_error`
/// with the context "FILE:LINE: field 'nodes[1].actors[0].type': problem".
expected<deployment> load_deployment(const std::string& path, const deployment_checks& checks = {});

/// Like `load_deployment`, on text already in memory; `file` names it in errors.
expected<deployment> parse_deployment(std::string_view text, const std::string& file,
                                      const deployment_checks& checks = {});

} // namespace dxhub::launch
