#include "dxhub/runtime/detail/audit_trail.hpp"

namespace dxhub::runtime::detail {

bool audit_trail::add(audit_record rec) {
  std::lock_guard lock{mutex_};
  pending_.push_back(std::move(rec));
  return pending_.size() == 1;
}

std::vector<audit_record> audit_trail::take() {
  std::vector<audit_record> batch;
  std::lock_guard lock{mutex_};
  batch.swap(pending_);
  return batch;
}

} // namespace dxhub::runtime::detail
