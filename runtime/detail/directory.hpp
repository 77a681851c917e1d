#pragma once

#include "dxhub/schemas/registry_record.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <string>

namespace dxhub::runtime {
class node;
}

namespace dxhub::runtime::detail {

struct directory_state {
  /// What this node has registered, renewed with the registry every third
  /// of a lease (which also restores it after a registry restart).
  std::map<std::string, registry_record> registered;
  static inline const char* name = "dxhub.directory";
};

/// Answers lookups: services of this process first, then the registry; keeps
/// this node's services and channels registered while they live.
caf::behavior directory(caf::stateful_actor<directory_state>* self, node* owner);

} // namespace dxhub::runtime::detail
