#pragma once

// Large requests are decoded off the network thread. Parsing a 50 MiB JSON
// command takes a second or more; on the network thread it would hold every
// other client's command behind it. One thread, started at the first large
// request, and a bounded queue: a flood of large requests is refused, not
// buffered without end.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace dxhub::runtime::detail {

class large_requests {
public:
  /// Payloads above this many bytes take the other thread.
  static constexpr std::size_t threshold_bytes = 64u << 10;

  explicit large_requests(std::size_t max_pending) : max_pending_(max_pending) {}
  /// Drops what still waits (its callers time out or see the node go) and joins.
  ~large_requests();
  large_requests(const large_requests&) = delete;
  large_requests& operator=(const large_requests&) = delete;

  /// Queues `job`; false when `max_pending` jobs wait already.
  bool submit(std::function<void()> job);

  std::size_t max_pending() const noexcept { return max_pending_; }

private:
  void run(const std::stop_token& stop);

  std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<std::function<void()>> jobs_;
  std::jthread thread_; // last: it stops and joins before the queue goes
};

} // namespace dxhub::runtime::detail
