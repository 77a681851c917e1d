#include "dxhub/runtime/detail/service_table.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>

namespace dxhub::runtime::detail {

namespace {

bool terminated(const caf::actor& a) {
  auto* p = caf::actor_cast<caf::abstract_actor*>(a);
  return p == nullptr || p->getf(caf::abstract_actor::is_terminated_flag);
}

} // namespace

expected<void> service_table::add(const std::string& name, caf::actor handle,
                                  registry_record record) {
  std::lock_guard lock{mutex_};
  auto [it, added] = entries_.try_emplace(name, entry{handle, record});
  // A server that just terminated may not have removed itself yet (its
  // cleanup runs after its monitors learned of its death): a successor wins.
  if (!added && terminated(it->second.handle)) {
    it->second = entry{handle, std::move(record)};
    added = true;
  }
  if (!added)
    return error{errc::already_exists, "service '" + name + "' is already served by actor "
                                           + std::to_string(it->second.handle.id())
                                           + " in this node"};
  return ok();
}

void service_table::remove(const std::string& name, const caf::actor_addr& handle) {
  std::lock_guard lock{mutex_};
  if (auto it = entries_.find(name); it != entries_.end() && it->second.handle.address() == handle)
    entries_.erase(it);
}

std::optional<service_table::entry> service_table::find(const std::string& name) const {
  std::lock_guard lock{mutex_};
  // A server that terminated is gone although its cleanup (which removes it)
  // may still be running: CAF marks it terminated before it runs the cleanup.
  if (auto it = entries_.find(name); it != entries_.end() && !terminated(it->second.handle))
    return it->second;
  return std::nullopt;
}

std::vector<registry_record> service_table::records() const {
  std::lock_guard lock{mutex_};
  std::vector<registry_record> result;
  for (const auto& [name, e] : entries_)
    result.push_back(e.record);
  return result;
}

} // namespace dxhub::runtime::detail
