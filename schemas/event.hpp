#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/json_text.hpp"

#include <cstdint>
#include <string>

namespace dxhub {

/// Something that happened, published on a topic: "lab/cam0/state" running.
/// Subscribers select events by topic prefix.
struct event {
  static constexpr const char* schema_name = "dxhub.event";
  static constexpr uint32_t schema_version = 1;

  /// Where it is published, e.g. "lab/cam0/state", "dxhub/supervisor/restart".
  std::string topic;
  /// Who emitted it: "node/actor".
  std::string source;
  /// What kind of event, e.g. "state", "restart", "crash".
  std::string kind;
  /// Per-source counter, starting at 0.
  uint64_t sequence = 0;
  /// CLOCK_REALTIME when emitted, in ns.
  int64_t wall_ns = 0;
  /// The details, a JSON value.
  json_text data;

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("topic", x.topic), named("source", x.source), named("kind", x.kind),
             named("sequence", x.sequence), named("wall_ns", x.wall_ns), named("data", x.data));
  }

  friend bool operator==(const event&, const event&) = default;
};

} // namespace dxhub
