#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/schema_id.hpp"
#include "dxhub/transports/shm/channel_options.hpp"
#include "dxhub/transports/shm/liveness.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::shm {

/// One row of a channel's subscriber table.
struct subscriber_info {
  uint32_t row = 0;
  pid_t pid = 0;
  /// `state == liveness::alive`.
  bool alive = false;
  /// Proven by the row's slot lock; `unknown` rows keep their chunks.
  liveness state = liveness::unknown;
  /// The subscriber is gone but frames it handed out still pin chunks.
  bool detached = false;
  policy mode = policy::latest;
  uint32_t queue_depth = 0;
  uint64_t queued = 0;
  uint64_t held = 0;
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  /// The reader never sleeps on its row (it spins or polls): the publisher
  /// has nobody to wake.
  bool never_sleeps = false;
  /// Wake-ups made for the reader so far (futex calls by the publisher, or by
  /// an interrupt); always 0 for one that never sleeps.
  uint32_t wakeups = 0;
  /// CLOCK_MONOTONIC (ns) of the reader's last take or wake-up.
  int64_t last_heartbeat_ns = 0;
};

/// A snapshot of a channel, read without taking part in it.
struct channel_info {
  std::string channel;
  std::string segment;
  schema_id schema;
  uint64_t chunk_size = 0;
  uint32_t chunk_count = 0;
  uint32_t max_subscribers = 0;
  uint32_t max_queue_depth = 0;
  mode_t mode = 0;
  /// Owner and group of the segment file.
  uid_t owner = 0;
  gid_t group = 0;
  /// "uid 1000 (alice)".
  std::string owner_name;
  pid_t publisher_pid = 0;
  bool publisher_alive = false;
  liveness publisher_state = liveness::unknown;
  /// Participants (publisher or rows) whose liveness cannot be told.
  uint32_t unknown_peers = 0;
  uint64_t session = 0;
  uint64_t sequence = 0;
  uint64_t sessions = 0;
  int64_t publisher_heartbeat_ns = 0;
  uint32_t chunks_loaned = 0;
  /// Chunks queued or held by live subscribers, plus loaned ones.
  uint32_t chunks_used = 0;
  uint32_t chunks_free = 0;
  std::vector<subscriber_info> subscribers;
};

/// Reads the state of `channel` from a read-only mapping of its segment.
expected<channel_info> inspect(std::string_view channel);

/// The whole schema (fields, types, shapes) the channel's publisher wrote
/// into its segment, from a read-only mapping; `unknown_channel` naming it
/// when no segment of that channel exists on this host.
expected<frame_schema> inspect_schema(std::string_view channel);

} // namespace dxhub::shm
