#pragma once

#include "dxhub/schemas/command.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <cstdint>
#include <map>
#include <set>

namespace dxhub::runtime::detail {

struct node_parts;

struct router_state {
  /// A call waiting for its service.
  struct pending_call {
    caf::actor_addr service;
    command cmd;
    int64_t started_ns = 0;
    caf::response_promise promise;
  };
  /// Keyed by a router-local call number; touched by the router only.
  std::map<uint64_t, pending_call> pending;
  /// Services monitored by this router, so that a service dying mid-call
  /// fails its calls at once instead of at their timeout.
  std::set<caf::actor_addr> watched;
  uint64_t next_call = 0;
  static inline const char* name = "dxhub.router";
};

/// Carries commands from callers to services of this process, and writes
/// the audit record of each (caller, service, arguments, result, latency).
/// Commands for other nodes go through `remote_calls` instead.
caf::behavior router(caf::stateful_actor<router_state>* self, node_parts* owner);

} // namespace dxhub::runtime::detail
