#include "dxhub/runtime/detail/command_audit.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/audit_trail.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/packing.hpp"

#include <caf/send.hpp>

namespace dxhub::runtime::detail {

void audit_command(node_parts& owner, const command& cmd, const reply* answer, const error* failure,
                   int64_t started_ns) {
  audit_entry entry;
  auto& rec = entry.record;
  rec.wall_ns = wall_ns();
  rec.kind = "command";
  rec.caller = cmd.caller;
  rec.target = cmd.service;
  rec.action = cmd.name;
  rec.args = cmd.args;
  entry.args = cmd.packed_args;
  rec.latency_ns = monotonic_ns() - started_ns;
  if (answer != nullptr) {
    rec.result = answer->result;
    entry.result = answer->packed_result;
    if (!answer->ok())
      rec.error = std::string{name(answer->code)} + ": " + answer->error_context;
  } else if (failure != nullptr) {
    rec.error = std::string{name(failure->code)} + ": " + failure->context;
  }
  if (owner.audit->add(std::move(entry)))
    caf::delayed_anon_send(owner.event_bus, owner.options.timing.audit_batch_delay,
                           flush_atom::value);
}

namespace {

/// A packed value as JSON. One of a type this program does not know, or a
/// bulk one (over `audit_trail::value_limit`), is shown by its schema and
/// size: an audit line says who did what, it does not store data, and JSON
/// of a large value would cost the node's cores more than the call itself.
nlohmann::json shown(const packed_value& packed) {
  if (packed.bytes.size() <= audit_trail::value_limit)
    if (auto doc = packed_as_json(packed))
      return std::move(doc).value();
  return {{"packed", to_string(packed.schema)}, {"bytes", packed.bytes.size()}};
}

} // namespace

event audit_event(const audit_entry& entry) {
  const auto& rec = entry.record;
  event ev;
  ev.topic = "dxhub/audit/command";
  ev.source = rec.caller;
  ev.kind = "command";
  ev.wall_ns = rec.wall_ns;
  nlohmann::json doc = rec;
  if (!entry.args.empty())
    doc["args"] = shown(entry.args);
  if (!entry.result.empty())
    doc["result"] = shown(entry.result);
  ev.data = json_text{doc.dump()};
  return ev;
}

} // namespace dxhub::runtime::detail
