#pragma once

#include "dxhub/runtime/frame.hpp"
#include "dxhub/runtime/policy.hpp"

#include <caf/actor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

namespace dxhub::runtime::detail {

/// A `wait_limit` of `delivery::offer` that never waits: the offering thread
/// must not block (a reader thread hands over frames it already took, the
/// network thread serves other work).
inline constexpr std::chrono::milliseconds no_wait{0};

/// Counters of one subscription, readable from any thread.
struct delivery_counters {
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> slow{0};
};

/// Hands the frames of one subscription to one actor, bounded: at most
/// `window` frames in the actor's mailbox or hands, at most `queue_depth`
/// waiting behind them. Frames leave in order. The next frame is sent when a
/// handle of an earlier one is released, on whatever thread releases it.
class delivery : public std::enable_shared_from_this<delivery> {
public:
  delivery(caf::actor target, const subscription_options& options);

  enum class outcome { sent, queued, dropped_oldest, slow };

  /// Offers a frame. `latest` drops the oldest waiting frame when full;
  /// `reliable` and `work` wait up to `wait_limit` for room, then report
  /// `slow` and drop this frame for this subscriber.
  /// `wait_limit` for a `reliable` subscriber (`no_wait`: never).
  outcome offer(std::shared_ptr<const frame_storage> f, std::chrono::milliseconds wait_limit);

  /// Frames waiting plus frames out; a `work` group gives the next frame to
  /// the member with the smallest load.
  uint32_t load() const;

  /// True when the actor can take a frame without waiting.
  bool has_room() const;

  /// Waits up to `limit` until the actor has a free place in its window
  /// (nothing waiting, fewer than `window` frames out); false on timeout or close.
  bool wait_for_window(std::chrono::milliseconds limit);

  /// Stops delivering; waiting publishers return at once.
  void close();

  const caf::actor& target() const noexcept { return target_; }
  const delivery_counters& counters() const noexcept { return counters_; }

private:
  void release_one();
  void pump_locked(std::unique_lock<std::mutex>& lock);
  std::shared_ptr<const frame_storage> wrap(std::shared_ptr<const frame_storage> f);

  caf::actor target_;
  policy policy_;
  uint32_t depth_;
  uint32_t window_;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::deque<std::shared_ptr<const frame_storage>> waiting_;
  uint32_t in_flight_ = 0;
  bool closed_ = false;
  delivery_counters counters_;
};

} // namespace dxhub::runtime::detail
