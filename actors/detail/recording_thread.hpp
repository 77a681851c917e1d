#pragma once

// The thread a recorder writes from: frames and audit records are queued by
// the recorder actor (copies: a frame's shared-memory chunk goes back to the
// publisher at once) and written, committed and closed here, so that a slow
// disk never stalls the actor, let alone the publisher.

#include "dxhub/actors/recording.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dxhub::actors::detail {

/// One queued frame.
struct queued_frame {
  std::string channel;
  std::shared_ptr<const frame_schema> schema;
  frame_header header;
  std::vector<std::byte> payload;
  int64_t recorded_ns = 0;
};

/// What the thread did so far.
struct recording_stats {
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t records = 0;
  uint64_t backlog_frames = 0;
  uint64_t backlog_bytes = 0;
  uint64_t max_backlog_bytes = 0;
  /// Frames dropped because the backlog was full.
  uint64_t dropped = 0;
  uint64_t failures = 0;
  std::string last_failure;
  bool live = false;
  bool closed = false;
  std::vector<channel_summary> channels;
};

class recording_thread {
public:
  /// Creates the file (errors here: unwritable path, ...) and starts the thread.
  static expected<std::unique_ptr<recording_thread>> start(recording_options options,
                                                           uint64_t backlog_limit);

  ~recording_thread();

  /// A buffer of `bytes` bytes for a frame (recycled from written frames).
  std::vector<std::byte> buffer(std::size_t bytes);

  /// Queues a frame; when the backlog is full, waits up to `wait` for room,
  /// then drops the frame (counted) and returns false.
  bool push(queued_frame frame, std::chrono::milliseconds wait);

  /// Queues an audit record (never dropped: records are small).
  void push(audit_record record);

  recording_stats stats() const;

  const run_provenance& run() const noexcept { return run_; }

  /// Writes what is queued, closes the file as complete and ends the
  /// thread; the close's outcome. Idempotent.
  expected<void> stop(const std::string& reason);

private:
  recording_thread() = default;
  void loop();

  run_provenance run_;
  std::optional<recording_writer> writer_;
  uint64_t limit_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable room_;
  std::deque<queued_frame> frames_;
  std::deque<audit_record> records_;
  std::vector<std::vector<std::byte>> spare_;
  recording_stats stats_;
  bool stopping_ = false;
  std::string stop_reason_;
  std::optional<error> close_error_;
  std::thread thread_;
};

} // namespace dxhub::actors::detail
