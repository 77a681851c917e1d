#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/registry_record.hpp"

#include <caf/actor.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::runtime::detail {

/// The services served in this process: name -> actor and registration.
class service_table {
public:
  struct entry {
    caf::actor handle;
    registry_record record;
  };

  /// Adds a service; a name already served here is refused, naming the holder.
  expected<void> add(const std::string& name, caf::actor handle, registry_record record);

  /// Removes `name` if `handle` (still) serves it.
  void remove(const std::string& name, const caf::actor_addr& handle);

  /// The live server of `name`: none once its actor has terminated.
  std::optional<entry> find(const std::string& name) const;
  std::vector<registry_record> records() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_;
};

} // namespace dxhub::runtime::detail
