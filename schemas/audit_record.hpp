#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/json_text.hpp"

#include <cstdint>
#include <string>

namespace dxhub {

/// One line of the audit trail: a command with its outcome, or an event.
struct audit_record {
  static constexpr const char* schema_name = "dxhub.audit_record";
  static constexpr uint32_t schema_version = 1;

  /// CLOCK_REALTIME of the record, in ns.
  int64_t wall_ns = 0;
  /// "command" or "event".
  std::string kind;
  /// Commands: the caller; events: the source.
  std::string caller;
  /// Commands: the service; events: the topic.
  std::string target;
  /// Commands: the command name; events: the event kind.
  std::string action;
  /// Commands: the arguments; events: the data.
  json_text args;
  /// Commands: the result (null for events).
  json_text result;
  /// Commands: "" on success, else "errc_name: context".
  std::string error;
  /// Commands: in ns, the round trip of an in-process call; for a call from
  /// another node, arrival to answer at the serving node (which records it).
  int64_t latency_ns = 0;

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("wall_ns", x.wall_ns), named("kind", x.kind), named("caller", x.caller),
             named("target", x.target), named("action", x.action), named("args", x.args),
             named("result", x.result), named("error", x.error), named("latency_ns", x.latency_ns));
  }

  friend bool operator==(const audit_record&, const audit_record&) = default;
};

} // namespace dxhub
