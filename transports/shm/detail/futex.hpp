#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace dxhub::shm::detail {

/// Sleeps while `word` holds `expected`, at most `timeout` (shared futex: the
/// word lives in shared memory). Returns on wake-up, timeout or signal.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected,
                std::chrono::nanoseconds timeout) noexcept;

/// Wakes every thread sleeping on `word`.
void futex_wake_all(std::atomic<uint32_t>& word) noexcept;

/// Wakes a reader sleeping on its row's wake word, if it sleeps (bit 0);
/// no syscall when nobody sleeps.
inline void wake_reader(std::atomic<uint32_t>& word) noexcept {
  uint32_t w = word.load(std::memory_order_seq_cst);
  while ((w & 1u) != 0) {
    // w + 1 clears the sleep bit and counts the wake-up.
    if (word.compare_exchange_weak(w, w + 1, std::memory_order_seq_cst)) {
      futex_wake_all(word);
      return;
    }
  }
}

/// CLOCK_MONOTONIC in ns.
int64_t monotonic_ns() noexcept;

/// CLOCK_REALTIME in ns.
int64_t wall_ns() noexcept;

/// A spin-wait hint for the CPU.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

} // namespace dxhub::shm::detail
