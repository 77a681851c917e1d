#pragma once

// The second process of a baseline: a forked child pinned to its own core,
// memory both processes share, and waits that give up when the peer is gone.

#include "dxhub/launch/child_process.hpp"
#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <new>
#include <sched.h>
#include <utility>

namespace dxhub::bench::baselines::detail {

/// Anonymous MAP_SHARED memory, mapped before the fork so both ends see it.
class shared_memory {
public:
  static expected<shared_memory> map(std::size_t bytes);
  ~shared_memory();
  shared_memory(shared_memory&& other) noexcept;
  shared_memory& operator=(shared_memory&&) = delete;
  shared_memory(const shared_memory&) = delete;

  void* data() const noexcept { return data_; }

  /// Constructs a `T` at the start of the block (a trivially destructible type).
  template <class T>
  T* emplace() {
    return new (data_) T{};
  }

private:
  shared_memory(void* data, std::size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Pins the calling thread to one core for a scope and restores its previous
/// affinity after, so that a caller's thread is left as it was found.
class scoped_pin {
public:
  explicit scoped_pin(int cpu);
  ~scoped_pin();
  scoped_pin(const scoped_pin&) = delete;
  scoped_pin& operator=(const scoped_pin&) = delete;

private:
  cpu_set_t previous_{};
  bool restore_ = false;
};

/// A forked child running one function on its own core
/// (launch::child_process::fork). The child dies with its parent; the
/// destructor kills and reaps a child still running.
class peer {
public:
  /// Forks; the child pins itself to `cpu`, runs `body` and exits with its
  /// result (0 = success). `body` must only touch memory, fds and syscalls.
  static expected<peer> start(int cpu, const std::function<int()>& body);

  peer(peer&& other) noexcept = default;
  peer& operator=(peer&&) = delete;
  peer(const peer&) = delete;

  /// False once the child has ended (reaps it).
  bool alive() noexcept;

  /// Waits up to `timeout` for a successful exit; kills the child otherwise.
  expected<void> join(std::chrono::milliseconds timeout);

private:
  explicit peer(launch::child_process process) : process_(std::move(process)) {}
  launch::child_process process_; // killed and reaped when still running at the end
  int status_ = 0;
};

/// Spins until `done()` holds; every 64Ki polls checks that `other` lives.
template <class Predicate>
expected<void> spin_until(Predicate done, peer& other) {
  for (unsigned polls = 1;; ++polls) {
    if (done())
      return ok();
    if ((polls & 0xFFFF) == 0 && !other.alive())
      return error{errc::peer_down, "the baseline's child process ended early"};
    __builtin_ia32_pause();
  }
}

} // namespace dxhub::bench::baselines::detail
