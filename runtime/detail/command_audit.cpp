#include "dxhub/runtime/detail/command_audit.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/audit_trail.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/send.hpp>

namespace dxhub::runtime::detail {

void audit_command(node& owner, const command& cmd, const reply* answer, const error* failure,
                   int64_t started_ns) {
  audit_record rec;
  rec.wall_ns = wall_ns();
  rec.kind = "command";
  rec.caller = cmd.caller;
  rec.target = cmd.service;
  rec.action = cmd.name;
  rec.args = cmd.args;
  rec.latency_ns = monotonic_ns() - started_ns;
  if (answer != nullptr) {
    rec.result = answer->result;
    if (!answer->ok())
      rec.error = std::string{name(answer->code)} + ": " + answer->error_context;
  } else if (failure != nullptr) {
    rec.error = std::string{name(failure->code)} + ": " + failure->context;
  }
  if (owner.audit().add(std::move(rec)))
    caf::delayed_anon_send(owner.event_bus(), audit_trail::batch_delay, flush_atom::value);
}

event audit_event(const audit_record& rec) {
  event ev;
  ev.topic = "dxhub/audit/command";
  ev.source = rec.caller;
  ev.kind = "command";
  ev.wall_ns = rec.wall_ns;
  ev.data = json_text{encode_json(rec)};
  return ev;
}

} // namespace dxhub::runtime::detail
