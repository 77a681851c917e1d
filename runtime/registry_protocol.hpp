#pragma once

// How nodes talk to the registry: it is the service "dxhub/registry", called
// like any other service (JSON arguments), with these commands and types.
// The node that hosts it also relays events between nodes ("dxhub/events").

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/registry_record.hpp"

#include <string>
#include <vector>

namespace dxhub::runtime {

inline constexpr const char* registry_service = "dxhub/registry";
inline constexpr const char* events_service = "dxhub/events";

/// The property of a registration that carries the node's run token
/// (`node_options::run_token`); the registry checks it and keeps it to itself.
inline constexpr const char* run_token_property = "run_token";

/// The property that carries the registering node's owner key (a
/// `random_token` per node): only a request with the same key renews,
/// replaces or removes the record. The registry keeps it to itself.
inline constexpr const char* owner_key_property = "owner_key";

/// Arguments of `lookup` (one name) and of `list` (a name prefix, "" = all).
struct registry_query {
  static constexpr const char* schema_name = "dxhub.registry_query";
  static constexpr uint32_t schema_version = 1;
  std::string name;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(defaulted("name", x.name)); // `list` without a name lists all
  }
};

/// The answer of `list`.
struct registry_records {
  static constexpr const char* schema_name = "dxhub.registry_records";
  static constexpr uint32_t schema_version = 1;
  std::vector<registry_record> records;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("records", x.records));
  }
};

/// The answer of the relay's `endpoint`: where to subscribe to events.
struct events_endpoint {
  static constexpr const char* schema_name = "dxhub.events_endpoint";
  static constexpr uint32_t schema_version = 1;
  std::string endpoint;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("endpoint", x.endpoint));
  }
};

/// Arguments of the relay's `emit_many`: events of one node, oldest first
/// (`emit` takes a single event).
struct event_batch {
  static constexpr const char* schema_name = "dxhub.event_batch";
  static constexpr uint32_t schema_version = 1;
  std::vector<event> events;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("events", x.events));
  }
};

} // namespace dxhub::runtime
