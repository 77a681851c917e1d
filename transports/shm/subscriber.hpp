#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/schema_id.hpp"
#include "dxhub/transports/shm/channel_options.hpp"
#include "dxhub/transports/shm/frame.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace dxhub::shm {

/// One reader of a channel with its own queue and policy. Move-only; take
/// frames from one thread (`interrupt` may come from any thread).
class subscriber {
public:
  /// Attaches to the channel's segment: `segment_not_found`, `schema_mismatch`
  /// naming both schemas, `layout_mismatch`, `foreign_segment`,
  /// `segment_too_small`, `subscribers_full`, `invalid_argument` (queue depth).
  static expected<subscriber> attach(std::string_view channel, const schema_id& expected,
                                     const subscriber_options& options = {});

  subscriber(subscriber&&) noexcept;
  subscriber& operator=(subscriber&&) noexcept;
  ~subscriber();

  /// The oldest queued frame, or `would_block`.
  expected<frame> try_take();

  /// Waits up to `timeout` for a frame (sleeping on a futex, or spinning in
  /// busy-poll mode). Errors: `timeout` (also after `interrupt`, with context
  /// "interrupted"); `publisher_gone` once per publisher that died or left,
  /// within about 200 ms - queued frames are delivered first, and later calls
  /// wait for a restarted publisher, whose frames carry a new session id.
  expected<frame> take(std::chrono::nanoseconds timeout);

  /// Wakes a `take` blocked in another thread.
  void interrupt();

  uint64_t delivered() const;
  uint64_t dropped() const;
  const frame_schema& schema() const;
  const std::string& channel() const;
  /// The row of the subscriber table this subscriber occupies.
  uint32_t row() const;
  /// True while the channel's publisher process is alive.
  bool publisher_alive() const;

private:
  explicit subscriber(std::shared_ptr<detail::subscriber_core> core) : core_(std::move(core)) {}

  std::shared_ptr<detail::subscriber_core> core_;
};

} // namespace dxhub::shm
