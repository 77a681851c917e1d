#pragma once

#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>

namespace dxhub::shm {

/// A process as the shared-memory transport knows it: pid plus start time
/// (field 22 of /proc/<pid>/stat, in clock ticks since boot), so that a
/// recycled pid is never taken for the process that held it before.
struct process_identity {
  pid_t pid = 0;
  uint64_t start_time = 0;

  /// The calling process (re-read after fork).
  static process_identity current();

  /// One 64-bit word for an atomic in shared memory: 22 bits of pid, 42 of
  /// start time; 0 means "nobody".
  uint64_t pack() const noexcept;
  static process_identity unpack(uint64_t word) noexcept;

  bool empty() const noexcept { return pid == 0; }

  friend bool operator==(const process_identity&, const process_identity&) = default;
};

/// Reads the identity of `pid` from /proc; fails with `peer_down` when no such
/// process exists or it is a zombie.
expected<process_identity> read_process_identity(pid_t pid);

/// Where start times come from: the pid's current start time, or nullopt when
/// the process does not exist (or is a zombie). Replaceable for tests.
using start_time_source = std::function<std::optional<uint64_t>(pid_t)>;

/// Installs `source` for `is_alive` (an empty function restores /proc).
void set_start_time_source(start_time_source source);

/// True when the process `who` names still runs: same pid and same start time.
bool is_alive(const process_identity& who);

/// `is_alive` of a packed identity; false for 0.
bool is_alive_packed(uint64_t word);

} // namespace dxhub::shm
