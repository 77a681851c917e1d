#include "dxhub/runtime/detail/audit_trail.hpp"

namespace dxhub::runtime::detail {

bool audit_trail::add(audit_entry entry) {
  std::lock_guard lock{mutex_};
  pending_.push_back(std::move(entry));
  return pending_.size() == 1;
}

std::vector<audit_entry> audit_trail::take() {
  std::vector<audit_entry> batch;
  std::lock_guard lock{mutex_};
  batch.swap(pending_);
  return batch;
}

} // namespace dxhub::runtime::detail
