#include "dxhub/transports/shm/detail/process_fence.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>

#include <unistd.h>

namespace dxhub::shm::detail {

namespace {

long membarrier(int cmd) noexcept {
  return syscall(SYS_membarrier, cmd, 0u, 0);
}

} // namespace

bool register_publisher_fence() noexcept {
  // Not cached: a forked child is a process of its own and registers again.
  return reader_fence_supported() && membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
}

bool reader_fence_supported() noexcept {
  static const bool supported = [] {
    auto commands = membarrier(MEMBARRIER_CMD_QUERY);
    return commands > 0 && (commands & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0;
  }();
  return supported;
}

bool run_reader_fence() noexcept {
  return membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0;
}

} // namespace dxhub::shm::detail
