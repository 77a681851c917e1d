#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/json_text.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dxhub {

/// What a registry entry names.
enum class entry_kind : uint8_t {
  node,
  service,
  channel,
};

std::string to_string(entry_kind kind);
bool parse_entry_kind(std::string_view text, entry_kind& out) noexcept;

inline std::string schema_token(type_tag<entry_kind>) {
  return "entry_kind";
}

/// A registration with the registry: a node, a service or a channel, where to
/// reach it, and the lease that keeps it alive.
struct registry_record {
  static constexpr const char* schema_name = "dxhub.registry_record";
  static constexpr uint32_t schema_version = 1;

  entry_kind kind = entry_kind::node;
  /// "lab/cam0", "lab/cam0/raw", or a node name.
  std::string name;
  /// The node that owns the entry.
  std::string node;
  /// machine-id plus boot-id of the node's host (or a configured override).
  std::string host;
  /// The node's process id on its host.
  uint32_t pid = 0;
  /// Where to reach it, e.g. "ipc:///tmp/dxhub/n1.sock", "tcp://169.254.0.1:7101".
  std::vector<std::string> endpoints;
  /// Services: the command schema; channels: the frame or event schema.
  schema_id schema;
  /// Lease length: the entry vanishes this long after the last renewal.
  int64_t lease_ms = 0;
  /// Anything else the owner publishes (shm segment name, policies, ...).
  json_text properties{"{}"};

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    // Sent as a command's arguments to the registry: a client names what it
    // registers; the rest has defaults the registry checks.
    return f(named("kind", x.kind), named("name", x.name), defaulted("node", x.node),
             defaulted("host", x.host), defaulted("pid", x.pid),
             defaulted("endpoints", x.endpoints), defaulted("schema", x.schema),
             defaulted("lease_ms", x.lease_ms), defaulted("properties", x.properties));
  }

  friend bool operator==(const registry_record&, const registry_record&) = default;
};

} // namespace dxhub
