#include "dxhub/runtime/detail/delivery.hpp"

#include <caf/send.hpp>

namespace dxhub::runtime::detail {

namespace {

// The delivery whose lock this thread holds while it sends. Sending to an
// actor that is already gone destroys the message - and with it our wrapper -
// inside the send, on this thread, under our lock.
thread_local const delivery* sending = nullptr;

} // namespace

delivery::delivery(caf::actor target, const subscription_options& options)
  : target_(std::move(target)), policy_(options.policy), depth_(options.queue_depth),
    window_(options.window == 0 ? 1 : options.window) {}

std::shared_ptr<const frame_storage> delivery::wrap(std::shared_ptr<const frame_storage> f) {
  // Each subscriber gets its own handle on the same bytes; its release is
  // what lets the next frame go to this subscriber.
  const auto* raw = f.get();
  return {raw, [keep = std::move(f), weak = weak_from_this()](const frame_storage*) mutable {
            keep.reset();
            if (auto self = weak.lock())
              self->release_one();
          }};
}

void delivery::pump_locked(std::unique_lock<std::mutex>&) {
  sending = this;
  while (!closed_ && in_flight_ < window_ && !waiting_.empty()) {
    auto next = std::move(waiting_.front());
    waiting_.pop_front();
    ++in_flight_;
    counters_.delivered.fetch_add(1, std::memory_order_relaxed);
    caf::anon_send(target_, frame{wrap(std::move(next))});
  }
  sending = nullptr;
  room_.notify_all();
}

void delivery::release_one() {
  if (sending == this) { // re-entered from a send to a dead actor: lock held
    --in_flight_;
    return;
  }
  std::unique_lock lock{mutex_};
  --in_flight_;
  pump_locked(lock);
}

delivery::outcome delivery::offer(std::shared_ptr<const frame_storage> f,
                                  std::chrono::milliseconds wait_limit) {
  std::unique_lock lock{mutex_};
  if (closed_)
    return outcome::dropped_oldest;
  auto full = [this] { return in_flight_ >= window_ && waiting_.size() >= depth_; };
  auto result = outcome::queued;
  if (full()) {
    if (policy_ == policy::latest) {
      if (waiting_.empty()) { // depth 0: the newest frame is the one that loses
        counters_.dropped.fetch_add(1, std::memory_order_relaxed);
        return outcome::dropped_oldest;
      }
      waiting_.pop_front();
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      result = outcome::dropped_oldest;
    } else if (!room_.wait_for(lock, wait_limit, [&] { return closed_ || !full(); })) {
      counters_.slow.fetch_add(1, std::memory_order_relaxed);
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      return outcome::slow;
    }
  }
  if (result == outcome::queued && waiting_.empty() && in_flight_ < window_)
    result = outcome::sent;
  waiting_.push_back(std::move(f));
  pump_locked(lock);
  return result;
}

uint32_t delivery::load() const {
  std::lock_guard lock{mutex_};
  return in_flight_ + static_cast<uint32_t>(waiting_.size());
}

bool delivery::has_room() const {
  std::lock_guard lock{mutex_};
  return in_flight_ < window_ || waiting_.size() < depth_;
}

bool delivery::wait_for_window(std::chrono::milliseconds limit) {
  std::unique_lock lock{mutex_};
  return room_.wait_for(lock, limit, [this] {
    return closed_ || (in_flight_ < window_ && waiting_.empty());
  }) && !closed_;
}

void delivery::close() {
  std::lock_guard lock{mutex_};
  closed_ = true;
  waiting_.clear();
  room_.notify_all();
}

} // namespace dxhub::runtime::detail
