#pragma once

// The bytes of a channel segment. Everything shared between processes is a
// lock-free atomic or written once before the segment's magic is published.
//
//   segment_header | subscriber rows | held bitmaps | rings | chunks
//
// Ownership of chunks is never counted, it is recorded: a chunk is in use
// while it is loaned by the publisher, sits in a subscriber's queue window
// [head, tail), or has its bit set in a subscriber's held bitmap. Only the
// publisher makes chunks referenced, so "no record names it" is stable and
// the publisher recomputes the free set by scanning. Every step of every
// participant is one atomic operation or leaves an over-approximation, so a
// kill -9 at any instruction leaks nothing: a dead subscriber's row is simply
// freed, and with it everything it queued or held.

#include "dxhub/schemas/frame_header.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace dxhub::shm::detail {

inline constexpr uint64_t segment_magic = 0x314d485342555844ULL; // "DXUBSHM1"
// 4: subscriber rows carry their reader's own reliable timeout.
// 5: the header carries the roster of rows that may be occupied, and the
//    publisher's record the newest frame (readers of policy `newest`).
inline constexpr uint32_t layout_version = 5;
inline constexpr std::size_t cache_line = 64;
inline constexpr std::size_t schema_blob_capacity = 8192;
inline constexpr std::size_t schema_name_capacity = 128;
inline constexpr uint32_t max_rows = 4096;
inline constexpr uint32_t roster_words = max_rows / 64;

static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

constexpr uint64_t align_up(uint64_t n, uint64_t a) noexcept {
  return (n + a - 1) / a * a;
}

/// Life cycle of a subscriber row. Only the publisher turns `ready` or
/// `leaving` rows back to `free` while it runs, because only it knows that it
/// is not in the middle of pushing into the row. `detached`: the subscriber
/// is gone but frames it handed out live on; the publisher pushes nothing
/// more, the held bitmap still pins their chunks. Whoever frees or claims a
/// row holds the row's slot lock (detail/slot_lock.hpp) while doing so.
enum class row_state : uint32_t { free = 0, ready = 1, leaving = 2, detached = 3 };

/// The publisher's row in the segment header.
struct alignas(cache_line) publisher_record {
  std::atomic<uint64_t> owner;       // packed process_identity, 0 = none
  std::atomic<uint64_t> session;     // current session id
  std::atomic<uint64_t> sequence;    // next sequence number
  std::atomic<int64_t> heartbeat_ns; // CLOCK_MONOTONIC of the last publish or maintain
  std::atomic<uint32_t> loaned;      // chunks loaned right now
  std::atomic<uint64_t> published;   // frames published in this session
  std::atomic<uint64_t> sessions;    // sessions so far (restarts + 1)
  // The newest frame of this session for `newest` readers: (sequence + 1) <<
  // 20 | chunk, 0 = none yet. Its chunk is not reused while it is newest.
  std::atomic<uint64_t> newest;
};

inline constexpr uint32_t newest_chunk_bits = 20; // chunk_count is at most 1 << 20

constexpr uint64_t pack_newest(uint32_t chunk, uint64_t sequence) noexcept {
  return ((sequence + 1) << newest_chunk_bits) | chunk;
}
constexpr uint32_t newest_chunk(uint64_t word) noexcept {
  return static_cast<uint32_t>(word & ((uint64_t{1} << newest_chunk_bits) - 1));
}
constexpr uint64_t newest_sequence(uint64_t word) noexcept {
  return (word >> newest_chunk_bits) - 1;
}

/// One subscriber's row: its queue indices, counters, futex word and state.
struct subscriber_row {
  // Written by the reader on every take (and by the publisher when it drops).
  alignas(cache_line) std::atomic<uint64_t> head;
  std::atomic<uint64_t> delivered;
  std::atomic<int64_t> heartbeat_ns;
  // Futex words, bit 0 = someone sleeps, the rest counts wake-ups: `wake`
  // for the reader waiting for frames, `space` for a publisher waiting for
  // room in a full reliable queue.
  alignas(cache_line) std::atomic<uint32_t> wake;
  std::atomic<uint32_t> space;
  // Written by the publisher.
  alignas(cache_line) std::atomic<uint64_t> tail;
  std::atomic<uint64_t> dropped;
  // Control, rarely written.
  alignas(cache_line) std::atomic<uint64_t> owner; // packed process_identity, 0 = free
  std::atomic<uint32_t> state;                     // row_state
  std::atomic<uint32_t> policy;
  std::atomic<uint32_t> depth;
  std::atomic<uint32_t> flags; // row_flags, set before the row is ready
  // How long the publisher waits for this reliable reader, set before the row
  // is ready: 1 + milliseconds, so that 0 (a row of an older reader, or no
  // wish) means the channel's `reliable_timeout_ms` and 1 means "do not wait".
  std::atomic<uint32_t> reliable_timeout;
  std::atomic<uint64_t> generation; // bumped on every claim; the reader checks it on every take
};

/// What a reader promises in its row's `flags`.
enum row_flags : uint32_t {
  // The reader busy-polls, or polls now and then (`poll_period`), and never
  // sleeps on its wake word (never sets its wake bit): the publisher has
  // nobody to wake and may store `tail` without the StoreLoad fence that the
  // sleep handshake needs. (A membarrier run by sleeping readers could spare the
  // fence for them too, at the price of an interprocessor interrupt to the
  // publisher's core per sleep and a kernel feature; not worth it for readers
  // whose every frame costs a futex wake-up anyway.)
  reader_never_sleeps = 1u,
};

/// The part of a chunk in front of its payload. The size comes first so that
/// it shares the first cache line with the frame's stamps: a reader that
/// only looks at the size and sequence pulls one line over, not two.
struct chunk_header {
  uint64_t payload_bytes;
  frame_header frame;
};

inline constexpr std::size_t chunk_header_bytes = align_up(sizeof(chunk_header), cache_line);

/// The fixed header at offset 0.
struct segment_header {
  std::atomic<uint64_t> magic; // stored last (release) when the segment is ready
  uint32_t layout_version;
  uint32_t header_bytes;
  uint64_t total_bytes;
  uint64_t chunk_capacity; // payload bytes per chunk
  uint64_t chunk_stride;
  uint64_t chunk_header_size;
  uint32_t chunk_count;
  uint32_t max_subscribers;
  uint32_t ring_capacity;
  uint32_t held_words;
  uint64_t subscribers_offset;
  uint64_t held_offset;
  uint64_t held_stride;
  uint64_t rings_offset;
  uint64_t ring_stride;
  uint64_t chunks_offset;
  uint64_t reliable_timeout_ms;
  uint64_t schema_hash;
  uint32_t schema_version;
  uint32_t schema_blob_bytes;
  char schema_name[schema_name_capacity];
  char schema_blob[schema_blob_capacity];
  publisher_record publisher;
  // Bit i is set while row i may be occupied (claimed, ready, leaving or
  // detached) by a reader with a queue: a publish visits these rows only,
  // one cache line for 64 rows instead of a line per row (each a miss for a
  // publisher whose caches went cold since its last frame). A claimer sets
  // its bit before the row is ready; whoever frees a row clears the bit after
  // the row is free, both under the row's slot lock. So a row with a queue
  // that is not free always has its bit; a crash in between leaves a spare
  // bit, which costs one look at the row. Rows of `newest` readers have no
  // queue and no bit.
  alignas(cache_line) std::atomic<uint64_t> roster[roster_words];
};

/// Sizes and offsets derived from the channel parameters.
struct layout {
  uint64_t chunk_capacity = 0;
  uint32_t chunk_count = 0;
  uint32_t max_subscribers = 0;
  uint32_t ring_capacity = 0;
  uint32_t held_words = 0;
  uint64_t chunk_stride = 0;
  uint64_t subscribers_offset = 0;
  uint64_t held_offset = 0;
  uint64_t held_stride = 0;
  uint64_t rings_offset = 0;
  uint64_t ring_stride = 0;
  uint64_t chunks_offset = 0;
  uint64_t total_bytes = 0;

  static layout compute(uint64_t chunk_capacity, uint32_t chunk_count, uint32_t max_subscribers,
                        uint32_t ring_capacity) noexcept {
    layout l;
    l.chunk_capacity = chunk_capacity;
    l.chunk_count = chunk_count;
    l.max_subscribers = max_subscribers;
    l.ring_capacity = ring_capacity;
    l.held_words = (chunk_count + 63) / 64;
    auto payload = align_up(chunk_capacity, cache_line);
    l.chunk_stride = chunk_header_bytes + payload;
    if (l.chunk_stride >= 4096)
      l.chunk_stride = align_up(l.chunk_stride, 4096);
    l.subscribers_offset = align_up(sizeof(segment_header), 4096);
    l.held_offset = l.subscribers_offset + uint64_t{max_subscribers} * sizeof(subscriber_row);
    l.held_stride = align_up(uint64_t{l.held_words} * 8, cache_line);
    l.rings_offset = l.held_offset + uint64_t{max_subscribers} * l.held_stride;
    l.ring_stride = align_up(uint64_t{ring_capacity} * 4, cache_line);
    l.chunks_offset = align_up(l.rings_offset + uint64_t{max_subscribers} * l.ring_stride, 4096);
    l.total_bytes = l.chunks_offset + uint64_t{chunk_count} * l.chunk_stride;
    return l;
  }
};

} // namespace dxhub::shm::detail
