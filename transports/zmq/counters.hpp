#pragma once

#include "dxhub/schemas/error.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

namespace dxhub::zmq {

/// What one socket has seen: messages and bytes in and out, and every rejected
/// message by reason. Updated on the loop thread, read from any thread.
class counters {
public:
  void count_in(std::size_t bytes) noexcept;
  void count_out(std::size_t bytes) noexcept;
  /// Counts a rejected message under its `errc` and keeps its reason as the last one.
  void count_rejected(const error& reason);

  uint64_t messages_in() const noexcept { return messages_in_.load(std::memory_order_relaxed); }
  uint64_t messages_out() const noexcept { return messages_out_.load(std::memory_order_relaxed); }
  uint64_t bytes_in() const noexcept { return bytes_in_.load(std::memory_order_relaxed); }
  uint64_t bytes_out() const noexcept { return bytes_out_.load(std::memory_order_relaxed); }
  /// Messages rejected for `reason`.
  uint64_t rejected(errc reason) const noexcept;
  /// Messages rejected for any reason.
  uint64_t rejected_total() const noexcept;
  /// The text of the last rejection ("bad magic: ..."), empty if none.
  std::string last_rejection() const;

  /// {"messages_in":..,"messages_out":..,"bytes_in":..,"bytes_out":..,
  ///  "rejected":{"bad_magic":1,...}} (only non-zero reasons are listed).
  std::string to_json() const;

private:
  std::atomic<uint64_t> messages_in_{0};
  std::atomic<uint64_t> messages_out_{0};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::array<std::atomic<uint64_t>, errc_count> rejected_{};
  mutable std::mutex last_mutex_;
  std::string last_;
};

} // namespace dxhub::zmq
