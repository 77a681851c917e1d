#pragma once

#include "dxhub/runtime/transport.hpp"
#include "dxhub/schemas/registry_record.hpp"

#include <caf/actor.hpp>

#include <string>

namespace dxhub::runtime {

/// A service found by `lookup`: where commands go, and what it registered.
struct service {
  std::string name;
  /// The service actor itself (same process) or the proxy to its node.
  caf::actor handle;
  registry_record record;
  runtime::transport via = transport::in_process;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, service& x) {
    return f(x.name, x.handle, x.record, x.via);
  }
};

} // namespace dxhub::runtime
