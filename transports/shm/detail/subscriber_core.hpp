#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/transports/shm/channel_options.hpp"
#include "dxhub/transports/shm/detail/segment.hpp"
#include "dxhub/transports/shm/detail/slot_lock.hpp"
#include "dxhub/transports/shm/frame.hpp"
#include "dxhub/transports/shm/process_identity.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dxhub::shm::detail {

/// The state behind a subscriber and its frames; the row is given back when
/// the subscriber and every frame it handed out are gone.
class subscriber_core : public std::enable_shared_from_this<subscriber_core> {
public:
  /// `lock` holds the write lock of `row`'s slot, `generation` is the row's
  /// generation after our claim.
  subscriber_core(std::shared_ptr<segment> seg, slot_lock lock, frame_schema schema,
                  std::string channel, uint32_t row, uint64_t owner, uint64_t generation,
                  const subscriber_options& options);
  ~subscriber_core();

  /// The subscriber is gone, frames it handed out may live on: the publisher
  /// stops queueing for the row (and stops waiting for it) at once.
  void detach() noexcept;

  expected<frame> try_take();
  expected<frame> take(std::chrono::nanoseconds timeout);
  void interrupt() noexcept;
  void release(uint32_t c) noexcept;
  bool publisher_alive() const;
  liveness publisher_liveness() const;

  const frame_schema& schema() const noexcept { return schema_; }
  const std::string& channel() const noexcept { return channel_; }
  uint32_t row() const noexcept { return row_; }
  const segment& seg() const noexcept { return *seg_; }

private:
  // publisher_gone once per publisher that is not alive; nullopt otherwise.
  std::optional<error> check_publisher(int64_t now_ns);
  /// The publisher closed (cleared its owner word) and we have not said so yet.
  bool publisher_left() const;
  /// True while the row is still ours (nobody freed and claimed it since).
  bool still_ours() const noexcept;
  /// Why this reader can take nothing more (its row taken over, the segment
  /// cut short), if so.
  std::optional<error> lost_row() const;
  /// `try_take` of a `newest` reader: pins the publisher's newest frame.
  expected<frame> take_newest();

  std::shared_ptr<segment> seg_;
  slot_lock lock_; // the write lock of our row's slot: proof that we live
  frame_schema schema_;
  std::string channel_;
  uint32_t row_;
  uint64_t owner_;
  uint64_t generation_;
  subscriber_options options_;
  uint64_t default_size_ = 0;
  std::atomic<bool> interrupted_{false};
  std::atomic<uint32_t> poll_wake_{0}; // a polling reader sleeps on it; `interrupt` wakes it
  uint64_t reported_gone_ = ~uint64_t{0};
  uint64_t last_alive_owner_ = 0;
  int64_t last_check_ns_ = 0;
  int64_t last_left_look_ns_ = 0; // a spinning reader's last look at the publisher's owner word
  uint64_t tail_seen_ = 0; // the row's tail when we last looked: frames below it need no new look
  // A `newest` reader's last frame (publisher_record::newest) and its session.
  uint64_t newest_seen_ = 0;
  uint64_t newest_session_ = 0;
  uint64_t newest_next_ = 0; // the sequence it would take next if it missed none
};

} // namespace dxhub::shm::detail
