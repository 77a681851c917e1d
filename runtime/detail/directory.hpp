#pragma once

#include "dxhub/runtime/token.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/registry_record.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <set>
#include <string>

namespace dxhub::runtime::detail {

struct node_parts;

struct directory_state {
  /// What this node has registered, renewed with the registry every third
  /// of a lease (which also restores it after a registry restart).
  std::map<std::string, registry_record> registered;
  /// The registry refused this node as not part of its run: nothing is
  /// offered to it any more.
  bool outsider = false;
  /// The kinds of refusal already handed to `node_options::on_refused`.
  std::set<errc> refusals_told;
  /// Proves to the registry that this node's records are its own.
  std::string owner_key = random_token();
  static inline const char* name = "dxhub.directory";
};

/// Answers lookups: services of this process first, then the registry; keeps
/// this node's services and channels registered while they live.
caf::behavior directory(caf::stateful_actor<directory_state>* self, node_parts* owner);

} // namespace dxhub::runtime::detail
