#pragma once

// The launcher's cleanup guard: a small process forked at start that outlives
// a launcher killed with -9 just long enough to kill the node process groups
// it was told about and to remove the deployment's shared-memory segments
// and the run's socket directory.
// It learns process groups over a socket and acts when the socket closes
// (the launcher exited or died), then exits itself.

#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace dxhub::launch {

struct launcher_guard {
  /// The launcher's end of the socket; closing it releases the guard.
  int fd = -1;
  pid_t pid = -1;
};

/// Forks the guard for segments named "<shm_prefix>*" in /dev/shm and, if
/// not empty, the directory `run_dir` (its files, then itself).
expected<launcher_guard> start_launcher_guard(const std::string& shm_prefix,
                                              const std::string& run_dir = {});

/// Tells the guard to kill process group `pgid` if the launcher dies.
void guard_watch(const launcher_guard& guard, pid_t pgid) noexcept;

/// Tells the guard that process group `pgid` has ended.
void guard_forget(const launcher_guard& guard, pid_t pgid) noexcept;

/// Removes the segments "/dev/shm/<prefix>*"; returns their names.
std::vector<std::string> remove_shm_segments(const std::string& prefix);

} // namespace dxhub::launch
