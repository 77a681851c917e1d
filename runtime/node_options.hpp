#pragma once

#include "dxhub/runtime/node_timing.hpp"
#include "dxhub/schemas/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace dxhub::runtime {

/// Everything a node needs to know about its place in a deployment. Every
/// field has a default that works on one machine with no configuration.
struct node_options {
  /// The node's name, unique in its deployment (default: "<hostname>-<pid>").
  std::string name;
  /// This host's identity (default: machine-id + boot-id); tests that play
  /// several hosts on one machine set it.
  std::string host_id;
  /// Where the registry answers ("ipc://...", "tcp://..."); empty: none, the
  /// node then only knows its own services and channels.
  std::string registry;
  /// Directory for this user's ipc sockets (default: $XDG_RUNTIME_DIR/dxhub or
  /// /tmp/dxhub-<uid>, created 0700).
  std::string runtime_dir;
  /// Where this node answers commands from other nodes ("ipc://..." or
  /// "tcp://127.0.0.1:port"); default: an ipc socket in `runtime_dir` named
  /// after the node. The node whose endpoint is the registry's also relays
  /// events between nodes.
  std::string endpoint;
  /// Address for the node's tcp endpoints; empty: no tcp (ipc only). Must be
  /// loopback unless `allow_remote` is set.
  std::string tcp_bind;
  /// Allows `tcp_bind` on a non-loopback address (remote nodes; needs CURVE).
  bool allow_remote = false;
  /// CURVE key files: this node's secret key, and the allow-list of peers'
  /// public keys. Empty: no CURVE (only allowed on ipc and loopback tcp).
  std::string curve_secret_file;
  std::string curve_public_file;
  std::string curve_allow_file;
  /// Public key file of the registry's node, for CURVE connections to it.
  std::string registry_public_file;
  /// How long a registration lives without renewal.
  std::chrono::milliseconds lease{3000};
  /// Whether the node opens ZeroMQ sockets at all (false: one process only,
  /// as in deterministic unit tests).
  bool networked = true;
  /// Whether frames may travel through shared memory (false: in-process and
  /// ZeroMQ only).
  bool shared_memory = true;
  /// The token of the run this node belongs to, sent with its registrations:
  /// a registry of a run with a token refuses records of nodes without it
  /// (default: $DXHUB_RUN_TOKEN, which `dxhub run` gives the nodes it starts).
  std::string run_token;
  /// Whether the node registers a record of itself; short-lived tools (the
  /// `dxhub` command line) only look up and call, and register nothing.
  bool announce = true;
  /// Called (on a runtime thread, once per kind of refusal) when the registry
  /// refuses a record of this node: `unauthenticated` when the node is not
  /// part of the registry's run (its records are then no longer offered),
  /// `already_exists` when a live node of another process holds the name
  /// (offered again on every renewal, so it is taken over once that lease
  /// ends).
  std::function<void(const error&)> on_refused;
  /// Retry, poll and wait periods of the node's parts (node_timing.hpp).
  node_timing timing;
};

/// Fills the empty fields of `options` with their defaults.
node_options with_defaults(node_options options);

} // namespace dxhub::runtime
