#pragma once

// A segment file cut short by another process (ftruncate) turns every access
// to the mapping past the new end into SIGBUS, which kills the process: a
// size check before each access cannot close that window. The guard catches
// the signal for the addresses of guarded mappings only, puts a private zero
// page in place of the page that is gone, and marks the mapping as cut; the
// interrupted access then completes harmlessly and the next checked call of
// the publisher or subscriber returns an error. A SIGBUS anywhere else goes
// to the handler that was there before (by default: the process dies).

#include <atomic>
#include <cstddef>

namespace dxhub::shm::detail {

class truncation_guard {
public:
  truncation_guard() = default;
  ~truncation_guard();
  truncation_guard(const truncation_guard&) = delete;
  truncation_guard& operator=(const truncation_guard&) = delete;

  /// Guards [base, base + bytes). At most 1024 mappings per process are
  /// guarded; beyond that a mapping is served unguarded (returns false).
  bool arm(std::byte* base, std::size_t bytes) noexcept;

  /// True once an access found the file cut below the mapping.
  bool cut() const noexcept { return cut_.load(std::memory_order_acquire); }

private:
  int slot_ = -1;
  std::atomic<bool> cut_{false};
};

} // namespace dxhub::shm::detail
