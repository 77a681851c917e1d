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
  /// The CPUs the node's process (every thread of it) may run on, by number
  /// (`cpus = [1]`); empty: any. The launcher sets the affinity in the child
  /// before exec, e.g. to give an acquisition node a core of its own.
  std::vector<int> cpus;
  /// The line of `cpus` in the file (for errors found when the node starts).
  int cpus_line = 0;
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

/// One machine of a deployment that spans several (`[[hosts]]`).
struct host_spec {
  /// What nodes' `host` fields and `dxhub run --host` name.
  std::string name;
  /// An IP address or a host name of the machine; `dxhub run` without
  /// `--host` picks the host whose address is one of this machine's.
  std::string address;
  int line = 0;
};

/// Where the registry runs.
struct registry_spec {
  /// Embedded in the launcher (`dxhub run`) unless `node` names a node.
  bool embedded = true;
  std::string node;
  /// With `[[hosts]]`: the host whose `dxhub run` embeds the registry, or
  /// the host of `node` (filled in by the parser); empty without hosts.
  std::string host;
  /// Its endpoint; empty means the runtime's default. With `[[hosts]]` the
  /// default is "tcp://<address of its host>:5750".
  std::string endpoint;
};

/// CURVE for every tcp socket of the deployment (`[security]`). Paths are
/// absolute once parsed (relative ones are relative to the deployment file,
/// the key files' names relative to `key_dir`).
struct security_spec {
  /// Whether the file has a `[security]` table.
  bool enabled = false;
  std::string key_dir;
  /// The allow-list: the public keys of every node and of the registry, one
  /// a line (default "<key_dir>/allowed.keys").
  std::string allow_file;
  /// The secret key file of the embedded registry (default
  /// "<key_dir>/registry.key"); a registry on a node uses that node's key.
  std::string registry_key;
  /// Every node's secret key file (default "<key_dir>/<node>.key"; the
  /// `[security.keys]` table overrides it per node); its public key is the
  /// same path + ".pub".
  std::map<std::string, std::string> node_keys;
};

struct deployment {
  /// The file it was read from.
  std::string file;
  /// A digest of the file's text (32 hex digits, not cryptographic).
  std::string text_digest;
  /// Names the deployment; also its shared-memory prefix "dxhub.<name>.".
  std::string name;
  std::string description;
  /// Between SIGTERM and SIGKILL when the deployment stops.
  std::chrono::milliseconds grace{5000};
  registry_spec registry;
  /// The machines the deployment spans; empty: one machine (each node's
  /// `host` then is "localhost" or a host name, as before).
  std::vector<host_spec> hosts;
  security_spec security;
  /// The defaults every node's restart policy starts from.
  node_restart restart;
  std::vector<channel_spec> channels;
  std::vector<node_spec> nodes;

  /// The node named `name`, or nullptr.
  const node_spec* find_node(std::string_view name) const noexcept;

  /// The host named `name`, or nullptr.
  const host_spec* find_host(std::string_view name) const noexcept;

  /// The secret key file of the registry's node ("" without `[security]`).
  std::string registry_secret_key() const;

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

/// Checks that every CPU of `node.cpus` (a node of `d`) exists on a machine
/// of `cpu_count` CPUs (numbered 0 to cpu_count - 1): the launcher asks this
/// for the nodes it starts, on their machine. The error (`config_error`)
/// names the file, the line, the field, the node and the value.
expected<void> check_node_cpus(const deployment& d, const node_spec& node, int cpu_count);

/// The number of CPUs of this machine (online ones).
int machine_cpu_count();

/// The host of `d` that `dxhub run` starts here: `requested` when not empty
/// (it must be one of `d.hosts`), else the one whose address is an address
/// of this machine (`local_addresses`, which `machine_addresses()` gives).
/// Errors (`config_error`) name the file: an unknown host, no host of this
/// machine, several. Empty result: the file has no `[[hosts]]`.
expected<std::string> select_host(const deployment& d, const std::string& requested,
                                  const std::vector<std::string>& local_addresses);

/// The IP addresses of this machine's network interfaces (getifaddrs), as
/// text ("127.0.0.1", "::1", "169.254.20.1", ...).
std::vector<std::string> machine_addresses();

/// The IP addresses `address` stands for: itself when it is one, else what
/// the resolver makes of the host name (empty when it cannot).
std::vector<std::string> addresses_of(const std::string& address);

/// `endpoint` as ZeroMQ can bind it: a tcp endpoint's host name becomes its
/// first address (IPv4 preferred); anything else is returned as it is
/// (ZeroMQ connects to names but binds only to addresses and interfaces).
std::string bindable_endpoint(const std::string& endpoint);

/// A run token all hosts of `d` derive alike (`dxhub run` on one host cannot
/// ask the others for a random one): a digest of the deployment's name and
/// file text, so that a host running another version of the file is refused
/// by the registry. Not a secret: across hosts, CURVE decides who joins.
std::string shared_run_token(const deployment& d);

} // namespace dxhub::launch
