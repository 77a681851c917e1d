#pragma once

#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/reply.hpp"

#include <cstdint>

namespace dxhub::runtime {
class node;
}

namespace dxhub::runtime::detail {

/// Publishes the audit record of a command (caller, service, arguments,
/// result or error, latency since `started_ns`) on the node's event bus
/// under "dxhub/audit/command". Exactly one of `answer` and `failure` is set.
void audit_command(node& owner, const command& cmd, const reply* answer, const error* failure,
                   int64_t started_ns);

} // namespace dxhub::runtime::detail
