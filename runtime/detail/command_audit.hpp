#pragma once

#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/reply.hpp"

#include <cstdint>

namespace dxhub::runtime::detail {

struct node_parts;

/// Records the audit record of a command (caller, service, arguments,
/// result or error, latency since `started_ns`) in the node's audit trail;
/// the event bus publishes it under "dxhub/audit/command" within
/// `node_timing::audit_batch_delay`. Exactly one of `answer` and `failure` is set.
void audit_command(node_parts& owner, const command& cmd, const reply* answer, const error* failure,
                   int64_t started_ns);

struct audit_entry;

/// The event that publishes `entry` (stamped with the record's time), its
/// packed arguments and result shown as JSON.
event audit_event(const audit_entry& entry);

} // namespace dxhub::runtime::detail
