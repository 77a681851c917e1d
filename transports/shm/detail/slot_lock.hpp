#pragma once

// Proof of life by the kernel. Every participant of a channel holds an
// open-file-description lock (F_OFD_SETLK) on one byte of the segment file:
// byte 0 for the publisher, byte 1 + i for subscriber row i. The kernel drops
// the lock when the process ends however it ends (kill -9 included), and lock
// conflicts are seen across PID namespaces and whatever /proc shows, so
//
//   - a slot whose byte nobody locks has a dead (or no) owner: proven;
//   - a slot whose byte is write-locked by another description is alive;
//   - a failing query is `unknown` and frees nothing.
//
// Whoever frees or claims a slot takes its write lock first, so claiming and
// freeing one row exclude each other. Readers reclaiming rows while no
// publisher runs hold a read lock on byte 0, which keeps a publisher from
// starting (it needs the write lock) until they are done.

#include "dxhub/schemas/expected.hpp"
#include "dxhub/transports/shm/liveness.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace dxhub::shm::detail {

inline constexpr uint64_t publisher_slot = 0;
inline constexpr uint64_t row_slot(uint32_t row) noexcept {
  return uint64_t{row} + 1;
}

/// What an attempt to lock a slot found.
enum class lock_result {
  acquired,  ///< We hold it now.
  held,      ///< Another live participant write-locks it.
  read_held, ///< Readers hold a read lock on it (publisher slot only).
  failed,    ///< The kernel refused the query: liveness unknown.
};

/// An open file description of a segment file, private to one participant.
class slot_lock {
public:
  slot_lock() = default;
  /// Opens `name` anew (its own description) and checks that it is still the
  /// inode `dev`/`ino` that was mapped.
  static expected<slot_lock> open(const std::string& name, dev_t dev, ino_t ino, bool writable);

  slot_lock(slot_lock&& other) noexcept;
  slot_lock& operator=(slot_lock&& other) noexcept;
  slot_lock(const slot_lock&) = delete;
  slot_lock& operator=(const slot_lock&) = delete;
  ~slot_lock();

  explicit operator bool() const noexcept { return fd_ >= 0; }

  /// Non-blocking write (or read) lock of `slot`.
  lock_result lock(uint64_t slot, bool exclusive = true) noexcept;
  void unlock(uint64_t slot) noexcept;
  /// Whether another description write-locks `slot`, without taking it.
  liveness probe(uint64_t slot) const noexcept;
  /// The file's size now (all ones when fstat fails: unknown).
  uint64_t file_size() const noexcept;
  int fd() const noexcept { return fd_; }

private:
  explicit slot_lock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

} // namespace dxhub::shm::detail
