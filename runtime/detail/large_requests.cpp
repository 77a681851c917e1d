#include "dxhub/runtime/detail/large_requests.hpp"

namespace dxhub::runtime::detail {

large_requests::~large_requests() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

bool large_requests::submit(std::function<void()> job) {
  {
    std::lock_guard guard{mutex_};
    if (jobs_.size() >= max_pending_)
      return false;
    jobs_.push_back(std::move(job));
    if (!thread_.joinable())
      thread_ = std::jthread{[this](const std::stop_token& stop) { run(stop); }};
  }
  wake_.notify_one();
  return true;
}

void large_requests::run(const std::stop_token& stop) {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock{mutex_};
      if (!wake_.wait(lock, stop, [this] { return !jobs_.empty(); }))
        return; // stop requested
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

} // namespace dxhub::runtime::detail
