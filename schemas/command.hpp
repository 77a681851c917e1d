#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/json_text.hpp"
#include "dxhub/schemas/packed_value.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <cstdint>
#include <string>

namespace dxhub {

/// A request to a service: "lab/cam0" please "set_exposure" {"ms": 12.5}.
struct command {
  static constexpr const char* schema_name = "dxhub.command";
  static constexpr uint32_t schema_version = 2;

  /// Correlates the reply; unique per caller.
  uint64_t id = 0;
  /// Who asks: "node/actor", or "cli:user@host".
  std::string caller;
  /// The service addressed, e.g. "lab/cam0".
  std::string service;
  /// The command, e.g. "set_exposure".
  std::string name;
  /// The arguments, a JSON object; null when they travel in `packed_args`.
  json_text args{"{}"};
  /// The identity of the arguments' type when the caller is typed (C++);
  /// empty name for untyped callers (CLI, Python), whose JSON is checked field by field.
  schema_id args_schema;
  /// When the caller gives up, in ms after `sent_wall_ns` (0: no deadline given).
  int64_t timeout_ms = 0;
  /// CLOCK_REALTIME when sent, in ns.
  int64_t sent_wall_ns = 0;
  /// The arguments of a typed C++ caller, packed (then of type `args_schema`);
  /// empty for JSON callers.
  packed_value packed_args;
  /// Not on the wire (not described): the CURVE public key (Z85) the caller's
  /// connection was authenticated with, set by the node that received the
  /// command from the network; empty for calls within a process and without
  /// CURVE. A service may trust it: a client cannot choose it.
  std::string peer_key;

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("id", x.id), named("caller", x.caller), named("service", x.service),
             named("name", x.name), named("args", x.args), named("args_schema", x.args_schema),
             named("timeout_ms", x.timeout_ms), named("sent_wall_ns", x.sent_wall_ns),
             named("packed_args", x.packed_args));
  }

  friend bool operator==(const command&, const command&) = default;
};

} // namespace dxhub
