#include "dxhub/launch/restart_policy.hpp"

#include <algorithm>
#include <string>

namespace dxhub::launch {

std::string_view to_string(restart_kind kind) noexcept {
  switch (kind) {
    case restart_kind::permanent:
      return "permanent";
    case restart_kind::transient:
      return "transient";
    case restart_kind::temporary:
      return "temporary";
  }
  return "permanent";
}

expected<restart_kind> parse_restart_kind(std::string_view text) {
  for (auto kind : {restart_kind::permanent, restart_kind::transient, restart_kind::temporary})
    if (text == to_string(kind))
      return kind;
  return error{errc::invalid_argument, "restart kind '" + std::string{text}
                                           + "' is not one of permanent, transient, temporary"};
}

bool should_restart(restart_kind kind, bool abnormal_exit) noexcept {
  switch (kind) {
    case restart_kind::permanent:
      return true;
    case restart_kind::transient:
      return abnormal_exit;
    case restart_kind::temporary:
      return false;
  }
  return false;
}

bool restart_intensity::record_failure(clock::time_point now) {
  while (!failures_.empty() && now - failures_.front() >= limits_.within)
    failures_.pop_front();
  failures_.push_back(now);
  return failures_.size() <= limits_.max_restarts;
}

std::chrono::milliseconds restart_intensity::backoff() const noexcept {
  if (failures_.empty() || limits_.backoff_base.count() <= 0)
    return std::chrono::milliseconds{0};
  auto wait = limits_.backoff_base;
  // The first failure in a window waits the base; each further one doubles it.
  for (std::size_t i = 1; i < failures_.size() && wait < limits_.backoff_max; ++i)
    wait *= 2;
  return std::min(wait, limits_.backoff_max);
}

} // namespace dxhub::launch
