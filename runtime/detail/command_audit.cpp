#include "dxhub/runtime/detail/command_audit.hpp"

#include "dxhub/runtime/node.hpp"
#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

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
  event ev;
  ev.topic = "dxhub/audit/command";
  ev.source = cmd.caller;
  ev.kind = "command";
  ev.data = json_text{encode_json(rec)};
  owner.emit(std::move(ev));
}

} // namespace dxhub::runtime::detail
