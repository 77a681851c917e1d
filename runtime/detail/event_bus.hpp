#pragma once

#include "dxhub/schemas/event.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <string>
#include <vector>

namespace dxhub::runtime::detail {

struct node_parts;

struct event_bus_state {
  struct member {
    std::string prefix;
    caf::actor who;
  };
  std::vector<member> members;
  std::map<std::string, uint64_t> sequence;
  static inline const char* name = "dxhub.event_bus";
};

/// Delivers events to the subscribers in this process and hands local events
/// to the network (when the node has one); events from other nodes come back
/// through `remote_atom`.
caf::behavior event_bus(caf::stateful_actor<event_bus_state>* self, node_parts* parts);

} // namespace dxhub::runtime::detail
