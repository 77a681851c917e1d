#pragma once

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

namespace dxhub::runtime {
class node;
}

namespace dxhub::runtime::detail {

struct directory_state {
  static inline const char* name = "dxhub.directory";
};

/// Answers lookups: services of this process first, then the registry.
caf::behavior directory(caf::stateful_actor<directory_state>* self, node* owner);

} // namespace dxhub::runtime::detail
