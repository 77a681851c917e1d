#include "dxhub/transports/shm/detail/subscriber_core.hpp"

#include "dxhub/transports/shm/detail/futex.hpp"

#include <algorithm>

namespace dxhub::shm::detail {

namespace {

// How often a waiting reader looks at the publisher's liveness: well inside
// the one-second bound.
constexpr int64_t publisher_check_ns = 200'000'000;

// How often a spinning reader looks whether the publisher closed. The owner
// word shares its cache line with the sequence the publisher bumps on every
// publish: a look per frame would cost every publish a cache miss.
constexpr int64_t spinning_left_look_ns = 1'000'000;

} // namespace

subscriber_core::subscriber_core(std::shared_ptr<segment> seg, slot_lock lock, frame_schema schema,
                                 std::string channel, uint32_t row, uint64_t owner,
                                 uint64_t generation, const subscriber_options& options)
  : seg_(std::move(seg)), lock_(std::move(lock)), schema_(std::move(schema)),
    channel_(std::move(channel)), row_(row), owner_(owner), generation_(generation),
    options_(options) {
  if (options_.mode == policy::newest) {
    // Frames from our attach on, as for a reader with a queue.
    newest_session_ = seg_->publisher().session.load(std::memory_order_relaxed);
    newest_seen_ = seg_->publisher().newest.load(std::memory_order_acquire);
    newest_next_ = seg_->publisher().sequence.load(std::memory_order_relaxed);
  }
  auto schema_size = schema_.payload_size();
  default_size_ =
      schema_size && schema_size.value() > 0 ? schema_size.value() : seg_->chunk_capacity();
}

subscriber_core::~subscriber_core() {
  auto& row = seg_->row(row_);
  if (!still_ours())
    return; // freed and claimed by someone else: not ours to touch
  if (lock_.probe(publisher_slot) == liveness::dead) {
    // Nobody pushes into the row: give it back directly. Under our row lock
    // nobody claims it in between; owner first, so that a free row never has one.
    auto me = owner_;
    if (row.owner.compare_exchange_strong(me, 0, std::memory_order_acq_rel)) {
      row.state.store(static_cast<uint32_t>(row_state::free), std::memory_order_release);
      seg_->unlist(row_);
    }
  } else {
    // The publisher may be pushing into the row right now (or we cannot
    // tell): it frees the row once our lock is gone.
    row.state.store(static_cast<uint32_t>(row_state::leaving), std::memory_order_release);
    wake_reader(row.space);
  }
  // lock_ closes after this: the row's slot is free.
}

void subscriber_core::detach() noexcept {
  auto& row = seg_->row(row_);
  if (!still_ours())
    return;
  auto ready = static_cast<uint32_t>(row_state::ready);
  row.state.compare_exchange_strong(ready, static_cast<uint32_t>(row_state::detached),
                                    std::memory_order_seq_cst);
  wake_reader(row.space); // a reliable publisher waiting for room stops waiting
}

bool subscriber_core::still_ours() const noexcept {
  auto& row = seg_->row(row_);
  return row.owner.load(std::memory_order_relaxed) == owner_
         && row.generation.load(std::memory_order_relaxed) == generation_;
}

std::optional<error> subscriber_core::lost_row() const {
  // Two loads of a line nobody writes while the row is ours.
  if (!still_ours())
    return error{errc::peer_down,
                 "channel '" + channel_ + "': subscriber row " + std::to_string(row_)
                     + " was freed and taken by another process (owner or generation "
                       "changed): this subscriber receives nothing more; attach again"};
  if (seg_->cut())
    return error{errc::segment_too_small,
                 "channel '" + channel_
                     + "': the segment file was cut short by another process; attach again"};
  return std::nullopt;
}

expected<frame> subscriber_core::try_take() {
  if (options_.mode == policy::newest)
    return take_newest();
  auto& row = seg_->row(row_);
  if (auto lost = lost_row())
    return *lost;
  auto cap = seg_->ring_capacity();
  auto count = seg_->chunk_count();
  auto* ring = seg_->ring(row_);
  auto* held = seg_->held(row_);
  for (;;) {
    auto head = row.head.load(std::memory_order_seq_cst);
    // The publisher's line is read only when what we saw of it is used up:
    // a reader that fell behind catches up without pulling it over per frame.
    if (head >= tail_seen_) {
      tail_seen_ = row.tail.load(std::memory_order_acquire);
      if (head == tail_seen_)
        return error{errc::would_block};
    }
    if (head > tail_seen_ || tail_seen_ - head > cap) {
      // Maybe only a stale picture (we were descheduled while the publisher
      // pushed and dropped): head before tail and head after tail tell. The
      // head never passes the tail of its moment, and our queue never holds
      // more than the capacity at any moment.
      auto before = row.head.load(std::memory_order_seq_cst);
      auto tail = row.tail.load(std::memory_order_seq_cst);
      auto after = row.head.load(std::memory_order_seq_cst);
      if (before > tail || (after <= tail && tail - after > cap)) {
        tail_seen_ = 0; // look again next time
        return error{errc::layout_mismatch,
                     "channel '" + channel_ + "': corrupt segment: subscriber row "
                         + std::to_string(row_) + " has head " + std::to_string(before)
                         + " and tail " + std::to_string(tail) + ", more than the queue capacity "
                         + std::to_string(cap) + " apart"};
      }
      tail_seen_ = tail;
      continue;
    }
    auto c = ring[head % cap].load(std::memory_order_relaxed);
    if (c >= count) { // never written by our publisher: skip it
      row.head.compare_exchange_strong(head, head + 1, std::memory_order_seq_cst);
      continue;
    }
    auto bit = uint64_t{1} << (c % 64);
    // Record the chunk as held before popping it: a kill between the two
    // steps leaves an over-approximation that dies with the row.
    held[c / 64].fetch_or(bit, std::memory_order_seq_cst);
    if (row.head.compare_exchange_strong(head, head + 1, std::memory_order_seq_cst)) {
      wake_reader(row.space); // a reliable publisher may sleep until there is room
      row.delivered.store(row.delivered.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
      // Ask for the next queued frame's header now: its transfer (and, for
      // chunks pages apart, its page walk) overlaps this frame's handling.
      if (head + 1 < tail_seen_)
        if (auto next = ring[(head + 1) % cap].load(std::memory_order_relaxed); next < count)
          __builtin_prefetch(&seg_->chunk(next));
      auto& chunk = seg_->chunk(c);
      auto size = std::min<uint64_t>(chunk.payload_bytes, seg_->chunk_capacity());
      return frame{shared_from_this(), c, &chunk.frame, seg_->payload(c), size, &schema_};
    }
    // The publisher dropped this entry first (latest policy).
    held[c / 64].fetch_and(~bit, std::memory_order_release);
  }
}

expected<frame> subscriber_core::take_newest() {
  if (auto lost = lost_row())
    return *lost;
  auto& pub = seg_->publisher();
  auto& row = seg_->row(row_);
  auto* held = seg_->held(row_);
  // Each round loses only to a publish in between: a few, then later.
  for (int round = 0; round < 8; ++round) {
    auto word = pub.newest.load(std::memory_order_acquire);
    auto session = pub.session.load(std::memory_order_relaxed);
    if (word == 0 || (word == newest_seen_ && session == newest_session_))
      return error{errc::would_block};
    auto c = newest_chunk(word);
    if (c >= seg_->chunk_count())
      return error{errc::layout_mismatch,
                   "channel '" + channel_ + "': corrupt segment: the newest frame names chunk "
                       + std::to_string(c) + " of " + std::to_string(seg_->chunk_count())};
    // Pin, then look again: while the word is unchanged the chunk is the
    // newest, which the publisher never hands out, and its next scan of the
    // pool sees our pin. A changed word: a newer frame came, try that one.
    auto bit = uint64_t{1} << (c % 64);
    bool pinned_before = (held[c / 64].fetch_or(bit, std::memory_order_seq_cst) & bit) != 0;
    if (pub.newest.load(std::memory_order_seq_cst) != word) {
      if (!pinned_before)
        held[c / 64].fetch_and(~bit, std::memory_order_release);
      continue;
    }
    // What it never saw: frames of this session since the last one it took
    // (since it attached, or since the session began).
    auto seq = newest_sequence(word);
    auto from = session == newest_session_ ? newest_next_ : 0;
    if (seq > from)
      row.dropped.store(row.dropped.load(std::memory_order_relaxed) + (seq - from),
                        std::memory_order_relaxed);
    newest_seen_ = word;
    newest_session_ = session;
    newest_next_ = seq + 1;
    row.delivered.store(row.delivered.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
    auto& chunk = seg_->chunk(c);
    auto size = std::min<uint64_t>(chunk.payload_bytes, seg_->chunk_capacity());
    return frame{shared_from_this(), c, &chunk.frame, seg_->payload(c), size, &schema_};
  }
  return error{errc::would_block};
}

void subscriber_core::release(uint32_t c) noexcept {
  seg_->held(row_)[c / 64].fetch_and(~(uint64_t{1} << (c % 64)), std::memory_order_release);
}

bool subscriber_core::publisher_left() const {
  return reported_gone_ == ~uint64_t{0}
         && seg_->publisher().owner.load(std::memory_order_acquire) == 0;
}

bool subscriber_core::publisher_alive() const {
  return publisher_liveness() == liveness::alive;
}

liveness subscriber_core::publisher_liveness() const {
  // A publisher that closes clears its owner word first. Its lock may outlive
  // it in a process it forked (an open file description is shared), so the
  // cleared word, not the lock, is what says it left.
  if (seg_->publisher().owner.load(std::memory_order_acquire) == 0)
    return liveness::dead;
  return lock_.probe(publisher_slot);
}

std::optional<error> subscriber_core::check_publisher(int64_t now_ns) {
  last_check_ns_ = now_ns;
  seg_->row(row_).heartbeat_ns.store(now_ns, std::memory_order_relaxed);
  auto live = publisher_liveness();
  auto owner = seg_->publisher().owner.load(std::memory_order_acquire);
  if (live != liveness::dead) {
    // Alive, or we cannot tell (then we do not claim it is gone).
    last_alive_owner_ = owner;
    reported_gone_ = ~uint64_t{0};
    return std::nullopt;
  }
  if (reported_gone_ != ~uint64_t{0})
    return std::nullopt; // reported once already
  reported_gone_ = owner;
  last_alive_owner_ = 0;
  auto pid = process_identity::unpack(owner).pid;
  return error{errc::publisher_gone,
               "channel '" + channel_ + "': "
                   + (owner == 0 ? std::string{"the publisher left"}
                                 : "publisher pid " + std::to_string(pid) + " died")};
}

expected<frame> subscriber_core::take(std::chrono::nanoseconds timeout) {
  auto& row = seg_->row(row_);
  auto deadline = monotonic_ns() + timeout.count();
  bool left_seen = false;
  for (;;) {
    auto taken = try_take();
    if (taken || taken.error().code != errc::would_block)
      return taken;
    if (interrupted_.exchange(false, std::memory_order_acq_rel))
      return error{errc::timeout, "interrupted"};
    auto now = monotonic_ns();
    // A lock query is a syscall: at most every 200 ms, never per frame. A
    // publisher that closed is noticed at once by a sleeping reader (it wakes
    // us; we look before each sleep), within a millisecond by a spinning one
    // and within a period by a polling one.
    if (options_.busy_poll && now - last_left_look_ns_ >= spinning_left_look_ns) {
      last_left_look_ns_ = now;
      left_seen = publisher_left();
    }
    if (now - last_check_ns_ >= publisher_check_ns || left_seen) {
      left_seen = false;
      if (auto gone = check_publisher(now))
        return *gone;
    }
    if (now >= deadline)
      return error{errc::timeout};
    if (options_.busy_poll) {
      // Spin on the tail for a while, then look at the clock again.
      for (int i = 0; i < 256; ++i) {
        if (options_.mode == policy::newest
                ? seg_->publisher().newest.load(std::memory_order_acquire) != newest_seen_
                : row.tail.load(std::memory_order_acquire)
                      != row.head.load(std::memory_order_relaxed))
          break;
        cpu_relax();
      }
      continue;
    }
    if (options_.poll_period.count() > 0) {
      // Nobody wakes a polling reader: it looks again after a period, or at
      // once when interrupted (`interrupt` bumps and wakes its private word).
      if (publisher_left()) {
        left_seen = true;
        continue;
      }
      auto word = poll_wake_.load(std::memory_order_seq_cst);
      if (interrupted_.load(std::memory_order_seq_cst))
        continue;
      auto slice =
          std::min({deadline - now, int64_t{options_.poll_period.count()}, publisher_check_ns});
      futex_wait(poll_wake_, word, std::chrono::nanoseconds(slice));
      continue;
    }
    auto word = row.wake.fetch_or(1u, std::memory_order_seq_cst) | 1u;
    // Look again after announcing the sleep: a publish in between sees the bit.
    if (row.tail.load(std::memory_order_seq_cst) != row.head.load(std::memory_order_seq_cst)
        || interrupted_.load(std::memory_order_seq_cst))
      continue;
    if (publisher_left()) {
      left_seen = true;
      continue;
    }
    auto slice = std::min<int64_t>(deadline - now, publisher_check_ns);
    futex_wait(row.wake, word, std::chrono::nanoseconds(slice));
  }
}

void subscriber_core::interrupt() noexcept {
  // seq_cst, like the sleeper's announcement and re-check in take: with a
  // release store the load of the wake word below could pass it, miss the
  // sleep bit, and leave take asleep until its next slice.
  interrupted_.store(true, std::memory_order_seq_cst);
  wake_reader(seg_->row(row_).wake);
  if (options_.poll_period.count() > 0) {
    poll_wake_.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(poll_wake_);
  }
}

} // namespace dxhub::shm::detail
