#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace dxhub::shm {

/// How a subscriber's queue behaves when it is full.
enum class policy : uint8_t {
  latest,   ///< The publisher drops the oldest queued frame; it never waits.
  reliable, ///< The publisher waits up to `reliable_timeout`, then reports the slow reader.
  /// No queue: a take gives the newest frame published since the last take
  /// (none published since attaching: `would_block`). The publisher does
  /// nothing for such a reader per frame, not even look at its row; `take`
  /// looks every `poll_period` (1 ms if unset) or spins (`busy_poll`). For
  /// displays, which show only the newest picture anyway.
  newest,
};

/// The limits of one channel segment, fixed when the publisher creates it.
struct channel_options {
  /// Payload bytes of one chunk (the frame header comes on top).
  std::size_t chunk_size = 1 << 20;
  /// Chunks in the pool: frames being written, queued or held by readers.
  /// Sixteen: a default reader queue (8) full, a frame being written and a
  /// few held by readers still fit, at 16 times the frame size of memory.
  uint32_t chunk_count = 16;
  /// Rows of the subscriber table.
  uint32_t max_subscribers = 64;
  /// How long `publish` waits for a full `reliable` queue before it reports the
  /// reader, for readers that do not ask for their own (`subscriber_options`).
  std::chrono::milliseconds reliable_timeout{1000};
  /// Permission bits of the segment (owner only by default). An existing
  /// segment is adopted only if it belongs to our effective uid (and `group`,
  /// if given) and grants no bit outside these.
  mode_t mode = 0600;
  /// Group owning the segment, if not the creator's; give `mode` group bits too.
  std::optional<gid_t> group;
  /// The deepest queue a subscriber may ask for (ring size of each subscriber row).
  uint32_t max_queue_depth = 64;
};

/// How one subscriber wants its frames.
struct subscriber_options {
  policy mode = policy::latest;
  /// Frames queued for this subscriber at most (at most `channel_options::max_queue_depth`).
  uint32_t queue_depth = 8;
  /// How long the publisher waits for this `reliable` subscriber before it
  /// reports it slow; unset: the channel's `channel_options::reliable_timeout`.
  std::optional<std::chrono::milliseconds> reliable_timeout;
  /// `take` spins instead of sleeping on a futex: lowest latency, one busy core.
  bool busy_poll = false;
  /// If above 0 (and not `busy_poll`), `take` looks for a frame this often
  /// instead of sleeping until the publisher wakes it: the publisher then has
  /// no reader to wake (no syscall in its publish, no reader thread woken at
  /// that moment to compete for its core), and a frame waits up to this long.
  /// For readers that show frames at a person's pace, such as a display.
  std::chrono::nanoseconds poll_period{0};
  /// The user the segment file must belong to (our effective uid if unset):
  /// a segment made by anyone else is refused (`permission_denied` naming its owner).
  std::optional<uid_t> owner;
  /// Permission bits the segment may grant at most; a wider one is refused.
  mode_t max_mode = 0660;
};

/// "latest" or "reliable".
const char* to_string(policy p) noexcept;

} // namespace dxhub::shm
