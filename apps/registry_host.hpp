#pragma once

// The registry served from this process: `dxhub run` embeds one (design:
// "embedded registry, no other setup"), `dxhub registry` runs one alone, and
// a deployment may name a node to host it instead.

#include "dxhub/actors/registry.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>
#include <string>

namespace dxhub::apps {

/// CURVE and host identity of a registry's node (a deployment's `[security]`
/// and `[[hosts]]`); all empty: no CURVE, the machine's host id.
struct registry_security {
  /// Its secret key file: with it, the registry's sockets are CURVE servers
  /// and may bind a non-loopback address.
  std::string secret_file;
  /// The public keys it lets in.
  std::string allow_file;
  std::string host_id;
};

/// An actor system, a node answering at the registry's endpoint (so it also
/// relays events between nodes) and the registry actor; all stopped by the
/// destructor.
class registry_host {
public:
  /// Starts a registry at `endpoint` ("ipc://..." or "tcp://..."); an endpoint
  /// that cannot be bound (in use, bad address) is an error naming it. The
  /// registry's own node registers with `options.run_token`.
  static expected<std::unique_ptr<registry_host>> start(const std::string& endpoint,
                                                        const std::string& node_name,
                                                        actors::registry_options options = {},
                                                        const registry_security& keys = {});

  ~registry_host();
  registry_host(const registry_host&) = delete;
  registry_host& operator=(const registry_host&) = delete;

  const std::string& endpoint() const noexcept { return endpoint_; }
  runtime::node& node() noexcept { return node_; }

private:
  registry_host(const std::string& endpoint, const std::string& node_name,
                const std::string& run_token, const registry_security& keys);

  std::string endpoint_;
  runtime::node_config cfg_;
  caf::actor_system sys_;
  runtime::node node_;
  caf::actor registry_;
};

/// The node options of a node that hosts the registry at `endpoint`.
runtime::node_options registry_node_options(const std::string& endpoint, std::string name,
                                            std::string run_token = {},
                                            const registry_security& keys = {});

/// The directory of one run's sockets: `<runtime dir>/<deployment>-<pid>`,
/// created 0700. Unique per run, so parallel runs never share a socket.
expected<std::string> make_run_dir(const std::string& deployment);

} // namespace dxhub::apps
