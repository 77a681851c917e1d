#include "dxhub/transports/shm/detail/publisher_core.hpp"

#include "dxhub/transports/shm/detail/futex.hpp"
#include "dxhub/transports/shm/detail/pool_scan.hpp"

#include <algorithm>
#include <atomic>
#include <random>
#include <sched.h>
#include <thread>
#include <type_traits>
#include <utility>

namespace dxhub::shm::detail {

namespace {

constexpr int64_t maintenance_period_ns = 100'000'000;
constexpr int64_t liveness_period_ns = 20'000'000;

uint64_t new_session_id() {
  std::random_device rd;
  uint64_t id = (uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(monotonic_ns());
  return id == 0 ? 1 : id;
}

// Waits a little, longer the longer we have waited already.
void backoff(unsigned& round) noexcept {
  if (round < 64) {
    cpu_relax();
  } else if (round < 128) {
    sched_yield();
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ++round;
}

} // namespace

publisher_core::publisher_core(std::shared_ptr<segment> seg, slot_lock lock, frame_schema schema,
                               std::string channel, process_identity self,
                               std::chrono::nanoseconds reliable_timeout)
  : seg_(std::move(seg)), lock_(std::move(lock)), schema_(std::move(schema)),
    channel_(std::move(channel)), self_(self), reliable_timeout_(reliable_timeout) {
  auto count = seg_->chunk_count();
  loaned_.assign(seg_->held_words(), 0);
  in_use_.assign(seg_->held_words(), 0);
  head_cache_.assign(seg_->max_subscribers(), 0);
  tail_cache_.assign(seg_->max_subscribers(), 0);
  corrupt_claim_.assign(seg_->max_subscribers(), 0);
  auto schema_size = schema_.payload_size();
  default_size_ =
      schema_size && schema_size.value() > 0 ? schema_size.value() : seg_->chunk_capacity();
  free_.reserve(count);
}

publisher_core::~publisher_core() {
  auto& pub = seg_->publisher();
  auto me = self_.pack();
  pub.owner.compare_exchange_strong(me, 0, std::memory_order_acq_rel);
  // Sleeping readers learn at once that we left.
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i)
    if (seg_->row(i).owner.load(std::memory_order_acquire) != 0)
      wake_reader(seg_->row(i).wake);
  // lock_ goes after this: readers see us dead only once the owner word is cleared.
}

void publisher_core::start_session() {
  auto& pub = seg_->publisher();
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i)
    reap_row(i);
  session_ = new_session_id();
  sequence_ = 0;
  published_ = 0;
  pub.session.store(session_, std::memory_order_relaxed);
  pub.sequence.store(0, std::memory_order_relaxed);
  pub.published.store(0, std::memory_order_relaxed);
  pub.loaned.store(0, std::memory_order_relaxed);
  pub.newest.store(0, std::memory_order_seq_cst);
  newest_chunk_ = no_chunk;
  pub.sessions.fetch_add(1, std::memory_order_relaxed);
  // Tails survive a restart (readers continue from them).
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i)
    tail_cache_[i] = seg_->row(i).tail.load(std::memory_order_acquire);
  last_maintenance_ns_ = monotonic_ns();
  pub.heartbeat_ns.store(last_maintenance_ns_, std::memory_order_release);
  rescan();
}

bool publisher_core::reap_row(uint32_t i) noexcept {
  auto& row = seg_->row(i);
  if (row.owner.load(std::memory_order_acquire) == 0
      && row.state.load(std::memory_order_acquire) == static_cast<uint32_t>(row_state::free))
    return false;
  // A live reader (or one claiming the row) holds the row's lock; `unknown`
  // frees nothing. One syscall per occupied row and maintain().
  if (lock_.probe(row_slot(i)) != liveness::dead)
    return false;
  if (lock_.lock(row_slot(i)) != lock_result::acquired)
    return false;
  // Under the row's lock nobody claims or frees it but us: clear the owner
  // first, then the state, so that no claim can slip in between.
  auto owner = row.owner.load(std::memory_order_acquire);
  bool freed = false;
  if (row.owner.compare_exchange_strong(owner, 0, std::memory_order_acq_rel)) {
    row.state.store(static_cast<uint32_t>(row_state::free), std::memory_order_release);
    seg_->unlist(i);
    freed = true;
  }
  lock_.unlock(row_slot(i));
  return freed;
}

void publisher_core::relist(uint32_t i) noexcept {
  // Only we free rows while we run, so a row seen taken stays so until we
  // free it: its missing bit (cleared by a process that should not have)
  // is safe to restore, and the reader gets frames again.
  auto& row = seg_->row(i);
  if (row.state.load(std::memory_order_acquire) != static_cast<uint32_t>(row_state::free)
      && row.policy.load(std::memory_order_relaxed) != static_cast<uint32_t>(policy::newest)
      && !seg_->listed(i))
    seg_->enlist(i);
}

bool publisher_core::skipped(uint32_t i) const noexcept {
  return corrupt_claim_[i] != 0
         && corrupt_claim_[i] == seg_->row(i).generation.load(std::memory_order_relaxed) + 1;
}

publisher_core::push_result publisher_core::corrupt_row(uint32_t i, const std::string& what) {
  auto& row = seg_->row(i);
  corrupt_claim_[i] = row.generation.load(std::memory_order_relaxed) + 1;
  if (!corruption_)
    corruption_ =
        error{errc::layout_mismatch,
              "channel '" + channel_ + "': corrupt segment: subscriber row " + std::to_string(i)
                  + " (pid "
                  + std::to_string(
                      process_identity::unpack(row.owner.load(std::memory_order_relaxed)).pid)
                  + ") has " + what + "; the row gets no frames until it is claimed again"};
  return push_result::corrupt;
}

void publisher_core::rescan() {
  // A `newest` reader pins (a seq_cst RMW of its held word), then looks at
  // `newest` again (seq_cst). This seq_cst read-modify-write of `newest`
  // (it changes nothing), before the seq_cst loads of the held words below,
  // orders our last store of it against that look: either the look comes
  // later and sees our newer word (the reader unpins and takes that one), or
  // it came earlier and its pin did too, and we see the pin. (A fence would
  // do, but ThreadSanitizer does not model fences.)
  seg_->publisher().newest.fetch_add(0, std::memory_order_seq_cst);
  for (uint32_t w = 0; w < in_use_.size(); ++w)
    in_use_[w] = loaned_[w];
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i) {
    auto& row = seg_->row(i);
    auto state = row.state.load(std::memory_order_acquire);
    if (state == static_cast<uint32_t>(row_state::free))
      continue;
    // Its frames are all released (the reader left only after the last one).
    if (state == static_cast<uint32_t>(row_state::leaving) && reap_row(i))
      continue;
    if (state == static_cast<uint32_t>(row_state::detached)) {
      // Its subscriber is gone, frames it handed out live on: only they pin
      // chunks; what we queued after it left is nobody's (we do not push to it).
      mark_held(*seg_, i, in_use_);
      continue;
    }
    if (skipped(i)) {
      // We push to it no more, but what it queued before is its reader's to
      // take (it keeps its own copy of the depth): kept while its window
      // looks whole; indices past a garbage head or tail count as nothing.
      if (auto q = queued_in_row(*seg_, i); q > 0 && q <= seg_->ring_capacity())
        mark_queue(*seg_, i, in_use_);
      mark_held(*seg_, i, in_use_);
      continue;
    }
    // Ready, leaving but not yet reapable, or a value nobody wrote: keep all it names.
    if (evicted_.empty()) {
      mark_row(*seg_, i, in_use_);
      continue;
    }
    mark_queue(*seg_, i, in_use_);
    auto* held = seg_->held(i);
    for (uint32_t w = 0; w < seg_->held_words(); ++w) {
      auto bits = held[w].load(std::memory_order_seq_cst);
      for (auto [row, c] : evicted_)
        if (row == i && c / 64 == w)
          bits &= ~(uint64_t{1} << (c % 64));
      in_use_[w] |= bits;
    }
  }
  // The newest frame's chunk is kept back: a `newest` reader may be pinning
  // it right now (its held bit comes next); handed out when nothing else is.
  free_.clear();
  newest_spare_ = false;
  for (uint32_t c = seg_->chunk_count(); c-- > 0;)
    if (((in_use_[c / 64] >> (c % 64)) & 1u) == 0) {
      if (c == newest_chunk_)
        newest_spare_ = true;
      else
        free_.push_back(c);
    }
}

void publisher_core::maintain(int64_t now_ns) {
  last_maintenance_ns_ = now_ns;
  seg_->publisher().heartbeat_ns.store(now_ns, std::memory_order_release);
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i)
    if (!reap_row(i))
      relist(i);
  if (lock_.file_size() < seg_->shape().total_bytes)
    truncated_ = true;
  restore_header();
}

void publisher_core::restore_header() {
  // Nobody uses these fields after open (everyone has its validated copy),
  // but a reader attaching later would be refused: put ours back, and say so.
  auto& h = seg_->header();
  const auto& want = seg_->shape();
  std::string changed;
  auto check = [&](const char* name, auto& field, auto value) {
    using T = std::remove_cvref_t<decltype(field)>;
    std::atomic_ref<T> ref{field};
    auto have = ref.load(std::memory_order_relaxed);
    if (have == static_cast<T>(value))
      return;
    changed += std::string{changed.empty() ? "" : ", "} + name + " " + std::to_string(have)
               + " (was " + std::to_string(value) + ")";
    ref.store(static_cast<T>(value), std::memory_order_relaxed);
  };
  check("chunk_count", h.chunk_count, want.chunk_count);
  check("max_subscribers", h.max_subscribers, want.max_subscribers);
  check("ring_capacity", h.ring_capacity, want.ring_capacity);
  check("chunk_capacity", h.chunk_capacity, want.chunk_capacity);
  check("held_words", h.held_words, want.held_words);
  check("chunk_stride", h.chunk_stride, want.chunk_stride);
  check("total_bytes", h.total_bytes, want.total_bytes);
  check("subscribers_offset", h.subscribers_offset, want.subscribers_offset);
  check("held_offset", h.held_offset, want.held_offset);
  check("held_stride", h.held_stride, want.held_stride);
  check("rings_offset", h.rings_offset, want.rings_offset);
  check("ring_stride", h.ring_stride, want.ring_stride);
  check("chunks_offset", h.chunks_offset, want.chunks_offset);
  if (!changed.empty() && !header_damage_)
    header_damage_ =
        error{errc::layout_mismatch, "channel '" + channel_ + "': corrupt segment: header field(s) "
                                         + changed + " overwritten by another process; restored"};
}

bool publisher_core::evict_oldest_latest() {
  bool evicted = false;
  auto cap = seg_->ring_capacity();
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i) {
    auto& row = seg_->row(i);
    if (row.state.load(std::memory_order_acquire) != static_cast<uint32_t>(row_state::ready)
        || row.policy.load(std::memory_order_relaxed) != static_cast<uint32_t>(policy::latest)
        || skipped(i))
      continue;
    auto tail = tail_cache_[i]; // ours: the row's copy may have been overwritten
    auto head = row.head.load(std::memory_order_seq_cst);
    // A lost race with the reader's take is no reason to give up on the row:
    // try the next entry (at most a ring's worth, whatever the row holds).
    auto* ring = seg_->ring(i);
    for (uint32_t round = 0; head < tail && tail - head <= cap && round <= cap; ++round) {
      auto c = ring[head % cap].load(std::memory_order_relaxed);
      if (row.head.compare_exchange_strong(head, head + 1, std::memory_order_seq_cst)) {
        // The entry was ours to drop; a reader racing for it marked c held
        // and unmarks it once its own exchange fails.
        if (c < seg_->chunk_count())
          evicted_.emplace_back(i, c);
        row.dropped.store(row.dropped.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
        evicted = true;
        break;
      }
    }
  }
  return evicted;
}

int64_t publisher_core::row_timeout_ns(uint32_t i) const noexcept {
  auto wish = seg_->row(i).reliable_timeout.load(std::memory_order_relaxed);
  return wish == 0 ? static_cast<int64_t>(reliable_timeout_.count())
                   : static_cast<int64_t>(wish - 1) * 1'000'000;
}

std::optional<int64_t> publisher_core::reliable_backlog() const noexcept {
  std::optional<int64_t> longest;
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i) {
    auto& row = seg_->row(i);
    if (row.state.load(std::memory_order_acquire) == static_cast<uint32_t>(row_state::ready)
        && row.policy.load(std::memory_order_relaxed) == static_cast<uint32_t>(policy::reliable)
        && queued_in_row(*seg_, i) > 0)
      longest = std::max(longest.value_or(0), row_timeout_ns(i));
  }
  return longest;
}

error publisher_core::exhausted() const {
  std::string readers;
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i) {
    auto& row = seg_->row(i);
    if (row.state.load(std::memory_order_acquire) != static_cast<uint32_t>(row_state::ready))
      continue;
    auto held = held_in_row(*seg_, i);
    auto queued = queued_in_row(*seg_, i);
    if (held + queued == 0)
      continue;
    readers += " pid " + std::to_string(process_identity::unpack(row.owner.load()).pid) + " holds "
               + std::to_string(held) + ", queues " + std::to_string(queued) + ";";
  }
  return error{errc::pool_exhausted, "channel '" + channel_ + "': all "
                                         + std::to_string(seg_->chunk_count()) + " chunks in use ("
                                         + std::to_string(loaned_count_)
                                         + " loaned by the publisher;" + readers + ")"};
}

expected<loan> publisher_core::loan_chunk() {
  if (!evicted_.empty())
    evicted_.clear(); // chunks evicted before may have been published again since
  if (truncated_ || seg_->cut())
    return error{errc::segment_too_small,
                 "channel '" + channel_ + "': the segment file was cut below its "
                     + std::to_string(seg_->shape().total_bytes)
                     + " bytes by another process; open the channel again"};
  // Housekeeping happens here, before the frame is written, never in the
  // publish that hands a frame over. A publish says when it is due (it reads
  // the clock anyway); otherwise the clock is read here only now and then or
  // when the pool looks empty (a clock read is a good part of a 64 B frame's cost).
  if (maintenance_due_) {
    maintenance_due_ = false;
    loans_since_clock_ = 0;
    maintain(monotonic_ns());
  } else if (free_.empty() || ++loans_since_clock_ >= 64) {
    loans_since_clock_ = 0;
    if (auto now = monotonic_ns(); now - last_maintenance_ns_ >= maintenance_period_ns)
      maintain(now);
  }
  if (!free_.empty())
    return hand_out();
  auto now = monotonic_ns();
  rescan();
  if (free_.empty() && newest_spare_) {
    // The newest frame waits for `newest` readers only while the pool has
    // other chunks. Withdrawn first, it can be pinned no more: it is free
    // unless a reader pinned it already (the scan sees that pin).
    seg_->publisher().newest.store(0, std::memory_order_seq_cst);
    newest_chunk_ = no_chunk;
    rescan();
  }
  if (free_.empty() && now - last_maintenance_ns_ >= liveness_period_ns) {
    maintain(now); // a dead reader may be what holds the pool
    rescan();
  }
  // `latest` readers never hold the publisher up: their oldest queued frames go first.
  while (free_.empty() && evict_oldest_latest())
    rescan();
  // A scan is a moment's picture: a reader may have taken the entries we saw
  // queued (nothing left to evict) and released older frames since, or lost
  // the race for an entry we evicted and not yet cleared its mark. Look again
  // a few times before calling the pool exhausted.
  for (unsigned round = 0; free_.empty() && round < 32; ++round) {
    cpu_relax();
    rescan();
    while (free_.empty() && evict_oldest_latest())
      rescan();
  }
  // Waits as long as the most patient reliable reader that holds up the pool.
  if (auto wait = free_.empty() ? reliable_backlog() : std::nullopt) {
    auto deadline = now + *wait;
    unsigned round = 0;
    auto last_liveness = now;
    while (free_.empty()) {
      auto t = monotonic_ns();
      if (t >= deadline)
        break;
      if (t - last_liveness >= liveness_period_ns) {
        maintain(t);
        last_liveness = t;
      }
      backoff(round);
      rescan();
      while (free_.empty() && evict_oldest_latest())
        rescan();
    }
  }
  if (free_.empty())
    return exhausted();
  return hand_out();
}

loan publisher_core::hand_out() {
  auto c = free_.back();
  free_.pop_back();
  loaned_[c / 64] |= uint64_t{1} << (c % 64);
  ++loaned_count_;
  seg_->publisher().loaned.store(loaned_count_, std::memory_order_relaxed);
  auto& chunk = seg_->chunk(c);
  chunk.frame.meta.clear();
  chunk.frame.experiment_time = 0;
  // The next chunk's header line was last read by the readers: ask for it
  // now, so that its transfer overlaps this frame instead of stalling the next.
  if (!free_.empty())
    __builtin_prefetch(&seg_->chunk(free_.back()), 1);
  return loan{this,          c,       &chunk.frame, seg_->payload(c), seg_->chunk_capacity(),
              default_size_, &schema_};
}

void publisher_core::release_owner(std::shared_ptr<publisher_core> owner) noexcept {
  if (owner->loaned_count_ > 0) {
    auto* core = owner.get();
    core->keep_alive_ = std::move(owner);
  }
}

void publisher_core::give_back(uint32_t c) noexcept {
  loaned_[c / 64] &= ~(uint64_t{1} << (c % 64));
  --loaned_count_;
  seg_->publisher().loaned.store(loaned_count_, std::memory_order_relaxed);
  free_.push_back(c);
  if (keep_alive_ && loaned_count_ == 0) {
    auto last = std::move(keep_alive_); // the publisher is gone: this was its last loan
  }
}

void publisher_core::store_tail(subscriber_row& row, uint64_t tail) noexcept {
  if ((row.flags.load(std::memory_order_relaxed) & reader_never_sleeps) != 0) {
    // Nobody to wake, no sleep bit to order against: a plain release store,
    // no full fence that would wait for this frame's cache lines.
    row.tail.store(tail, std::memory_order_release);
  } else {
    row.tail.store(tail, std::memory_order_seq_cst);
  }
  wake_reader(row.wake);
}

publisher_core::push_result publisher_core::make_room(uint32_t i, uint64_t tail, uint64_t depth,
                                                      int64_t deadline_ns) {
  auto& row = seg_->row(i);
  auto& head = head_cache_[i];
  // The reader only moves head towards our tail: anything else was written by
  // someone who should not have.
  auto bad_head = [&] {
    return corrupt_row(i, "head " + std::to_string(head) + " outside [tail - depth, tail] = ["
                              + std::to_string(tail - depth) + ", " + std::to_string(tail) + "]");
  };
  head = row.head.load(std::memory_order_seq_cst);
  if (head > tail || tail - head > depth)
    return bad_head();
  if (tail - head < depth)
    return push_result::pushed;
  if (row.policy.load(std::memory_order_relaxed) == static_cast<uint32_t>(policy::latest)) {
    // Drop the oldest; the reader may pop it at the same moment, one of us wins.
    while (tail - head >= depth) {
      if (row.head.compare_exchange_weak(head, head + 1, std::memory_order_seq_cst)) {
        ++head;
        row.dropped.store(row.dropped.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
      } else if (head > tail || tail - head > depth) {
        return bad_head();
      }
    }
    return push_result::pushed;
  }
  unsigned round = 0;
  auto last_liveness = monotonic_ns();
  for (;;) {
    if (round < 256) {
      // Every look at `head` pulls the reader's line over and slows the very
      // reader we wait for: look every 16 pauses only.
      for (int k = 0; k < 16; ++k)
        cpu_relax();
      round += 16;
    } else {
      // Sleep until the reader pops or leaves (it wakes us) or the next liveness check.
      auto word = row.space.fetch_or(1u, std::memory_order_seq_cst) | 1u;
      if (tail - row.head.load(std::memory_order_seq_cst) >= depth
          && row.state.load(std::memory_order_seq_cst) == static_cast<uint32_t>(row_state::ready))
        futex_wait(row.space, word, std::chrono::nanoseconds(liveness_period_ns));
    }
    head = row.head.load(std::memory_order_seq_cst);
    if (head > tail || tail - head > depth)
      return bad_head();
    if (tail - head < depth)
      return push_result::pushed;
    // A subscriber that went (its frames may live on) takes no more.
    if (row.state.load(std::memory_order_acquire) != static_cast<uint32_t>(row_state::ready))
      return push_result::dropped_reader;
    auto now = monotonic_ns();
    if (now - last_liveness >= liveness_period_ns) {
      last_liveness = now;
      if (reap_row(i))
        return push_result::dropped_reader;
    }
    if (now >= deadline_ns)
      return push_result::slow;
  }
}

publisher_core::push_result publisher_core::push(uint32_t i, const uint32_t* chunks, std::size_t n,
                                                 int64_t deadline_ns, std::size_t& missed) {
  auto& row = seg_->row(i);
  auto depth = uint64_t{row.depth.load(std::memory_order_relaxed)};
  auto cap = seg_->ring_capacity();
  missed = 0;
  if (depth == 0 || depth > cap) {
    missed = n;
    return corrupt_row(i, "queue depth " + std::to_string(depth) + " outside 1.."
                              + std::to_string(cap));
  }
  auto* ring = seg_->ring(i);
  auto tail = tail_cache_[i];
  auto visible = tail;
  auto result = push_result::pushed;
  for (std::size_t k = 0; k < n; ++k) {
    if (tail - head_cache_[i] >= depth) {
      // The reader must see what we queued before we wait for it or drop from it.
      if (tail != visible)
        store_tail(row, visible = tail);
      result = make_room(i, tail, depth, deadline_ns);
      if (result != push_result::pushed) {
        missed = n - k;
        break;
      }
    }
    ring[tail % cap].store(chunks[k], std::memory_order_relaxed);
    ++tail;
  }
  if (tail != visible)
    store_tail(row, tail);
  tail_cache_[i] = tail;
  if (result == push_result::slow)
    row.dropped.store(row.dropped.load(std::memory_order_relaxed) + missed,
                      std::memory_order_relaxed);
  return result;
}

expected<uint64_t> publisher_core::publish(loan* chunks, std::size_t n,
                                           std::vector<std::string>* slow_readers) {
  if (truncated_ || seg_->cut())
    return error{errc::segment_too_small, "channel '" + channel_
                                              + "': the segment file was cut short by another "
                                                "process; open the channel again"};
  corruption_.reset();
  auto now = monotonic_ns();
  auto wall = wall_ns();
  auto first = sequence_;
  batch_.clear();
  for (std::size_t k = 0; k < n; ++k) {
    auto c = chunks[k].index_;
    auto& header = seg_->chunk(c);
    header.payload_bytes = chunks[k].size_;
    header.frame.sequence = first + k;
    header.frame.session = session_;
    header.frame.monotonic_ns = now;
    header.frame.wall_ns = wall;
    // From here the chunk belongs to the queues; the loan no longer returns it.
    loaned_[c / 64] &= ~(uint64_t{1} << (c % 64));
    --loaned_count_;
    chunks[k].core_ = nullptr;
    batch_.push_back(c);
  }
  // For `newest` readers, before any queue. A release store (the header
  // above comes with it); our next rescan orders it before its look at the
  // readers' pins.
  newest_chunk_ = batch_.back();
  seg_->publisher().newest.store(pack_newest(newest_chunk_, first + n - 1),
                                 std::memory_order_release);
  std::optional<error> slow;
  seg_->for_each_listed([&](uint32_t i) {
    auto& row = seg_->row(i);
    if (row.state.load(std::memory_order_acquire) != static_cast<uint32_t>(row_state::ready)
        || skipped(i))
      return;
    // Each reader's own timeout, all counted from this publish: the call
    // waits at most as long as the most patient stalled reader allows.
    auto timeout = row_timeout_ns(i);
    std::size_t missed = 0;
    if (push(i, batch_.data(), n, now + timeout, missed) != push_result::slow
        || (slow && !slow_readers))
      return;
    auto pid = process_identity::unpack(row.owner.load(std::memory_order_relaxed)).pid;
    auto from = first + (n - missed);
    auto what =
        "channel '" + channel_ + "': reliable subscriber pid " + std::to_string(pid) + " (row "
        + std::to_string(i) + ") made no room within " + std::to_string(timeout / 1'000'000)
        + " ms; it misses "
        + (missed == 1 ? "frame " + std::to_string(from)
                       : "frames " + std::to_string(from) + ".." + std::to_string(first + n - 1));
    if (slow_readers)
      slow_readers->push_back(std::move(what));
    else
      slow = error{errc::slow_subscriber, std::move(what)};
  });
  sequence_ += n;
  published_ += n;
  auto& pub = seg_->publisher();
  pub.sequence.store(sequence_, std::memory_order_relaxed);
  pub.published.store(published_, std::memory_order_relaxed);
  pub.loaned.store(loaned_count_, std::memory_order_relaxed);
  if (now - last_maintenance_ns_ >= maintenance_period_ns)
    maintenance_due_ = true;
  if (slow)
    return *slow;
  if (corruption_)
    return *std::exchange(corruption_, std::nullopt);
  if (header_damage_)
    return *std::exchange(header_damage_, std::nullopt);
  return first;
}

uint32_t publisher_core::free_chunks() {
  rescan();
  return static_cast<uint32_t>(free_.size()) + (newest_spare_ ? 1u : 0u);
}

std::size_t publisher_core::subscriber_count() const noexcept {
  std::size_t n = 0;
  for (uint32_t i = 0; i < seg_->max_subscribers(); ++i)
    n += seg_->row(i).state.load(std::memory_order_acquire)
         == static_cast<uint32_t>(row_state::ready);
  return n;
}

} // namespace dxhub::shm::detail
