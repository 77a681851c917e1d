#pragma once

#include "dxhub/schemas/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace dxhub::zmq {

/// Where a socket binds or connects: ipc://path, tcp://host:port or inproc://name.
struct endpoint {
  enum class transport : uint8_t { ipc, tcp, inproc };

  zmq::endpoint::transport kind = transport::tcp;
  /// tcp: an IPv4 address, "localhost", a host name, or "*" (all interfaces).
  std::string host;
  /// tcp: 0 asks for an ephemeral port when binding.
  uint16_t port = 0;
  /// ipc: the socket file; inproc: the name.
  std::string path;

  /// The ZeroMQ form, e.g. "tcp://127.0.0.1:5555" ("tcp://127.0.0.1:*" for port 0).
  std::string to_string() const;

  friend bool operator==(const endpoint&, const endpoint&) = default;
};

/// What endpoints a configuration allows.
struct endpoint_policy {
  /// Permits tcp://*:port, binding on every interface; off by default.
  bool allow_all_interfaces = false;
};

/// Parses and checks an endpoint. tcp without a host ("tcp://:5555") means
/// 127.0.0.1; "tcp://*:p" needs `policy.allow_all_interfaces`; ipc paths must
/// fit a Unix socket address (at most 107 bytes). Errors: invalid_argument,
/// permission_denied (all interfaces not allowed).
expected<endpoint> parse_endpoint(std::string_view text, const endpoint_policy& policy = {});

} // namespace dxhub::zmq
