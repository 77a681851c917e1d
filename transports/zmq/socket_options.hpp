#pragma once

#include "dxhub/schemas/error.hpp"
#include "dxhub/transports/zmq/endpoint.hpp"
#include "dxhub/transports/zmq/limits.hpp"
#include "dxhub/transports/zmq/security.hpp"

#include <functional>
#include <optional>

namespace dxhub::zmq {

/// Called on the loop thread with the reason of every rejected message: the
/// log of a socket (library code does not print).
using rejection_log = std::function<void(const error& reason)>;

/// What every dxhub socket is configured with.
struct socket_options {
  /// Bounds on received messages.
  zmq::limits limits;
  /// Act as CURVE server (encrypt, let in only allowed client keys).
  std::optional<server_security> curve_server;
  /// Act as CURVE client (encrypt, trust only the given server key).
  std::optional<client_security> curve_client;
  /// Which endpoints are allowed.
  endpoint_policy endpoints;
  /// Gets each rejection with its reason (optional).
  rejection_log on_reject;
};

} // namespace dxhub::zmq
