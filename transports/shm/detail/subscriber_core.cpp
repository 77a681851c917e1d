#include "dxhub/transports/shm/detail/subscriber_core.hpp"

#include "dxhub/transports/shm/detail/futex.hpp"

#include <algorithm>

namespace dxhub::shm::detail {

namespace {

// How often a waiting reader looks at the publisher's liveness: well inside
// the one-second bound.
constexpr int64_t publisher_check_ns = 200'000'000;

} // namespace

subscriber_core::subscriber_core(std::shared_ptr<segment> seg, frame_schema schema,
                                 std::string channel, uint32_t row, uint64_t owner,
                                 const subscriber_options& options)
  : seg_(std::move(seg)), schema_(std::move(schema)), channel_(std::move(channel)), row_(row),
    owner_(owner), options_(options) {
  auto schema_size = schema_.payload_size();
  default_size_ =
      schema_size && schema_size.value() > 0 ? schema_size.value() : seg_->header().chunk_capacity;
}

subscriber_core::~subscriber_core() {
  auto& row = seg_->row(row_);
  auto publisher = seg_->publisher().owner.load(std::memory_order_acquire);
  if (!is_alive_packed(publisher)) {
    // Nobody pushes into the row: give it back directly.
    row.state.store(static_cast<uint32_t>(row_state::free), std::memory_order_release);
    auto me = owner_;
    row.owner.compare_exchange_strong(me, 0, std::memory_order_acq_rel);
  } else {
    // The publisher may be pushing into the row right now; it frees the row.
    row.state.store(static_cast<uint32_t>(row_state::leaving), std::memory_order_release);
  }
}

expected<frame> subscriber_core::try_take() {
  auto& row = seg_->row(row_);
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
      if (head >= tail_seen_)
        return error{errc::would_block};
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
      auto size = std::min<uint64_t>(chunk.payload_bytes, seg_->header().chunk_capacity);
      return frame{shared_from_this(), c, &chunk.frame, seg_->payload(c), size, &schema_};
    }
    // The publisher dropped this entry first (latest policy).
    held[c / 64].fetch_and(~bit, std::memory_order_release);
  }
}

void subscriber_core::release(uint32_t c) noexcept {
  seg_->held(row_)[c / 64].fetch_and(~(uint64_t{1} << (c % 64)), std::memory_order_release);
}

bool subscriber_core::publisher_alive() const {
  return is_alive_packed(seg_->publisher().owner.load(std::memory_order_acquire));
}

std::optional<error> subscriber_core::check_publisher(int64_t now_ns) {
  last_check_ns_ = now_ns;
  seg_->row(row_).heartbeat_ns.store(now_ns, std::memory_order_relaxed);
  auto owner = seg_->publisher().owner.load(std::memory_order_acquire);
  if (owner != 0 && owner == last_alive_owner_ && is_alive_packed(owner))
    return std::nullopt;
  if (owner != 0 && is_alive_packed(owner)) {
    last_alive_owner_ = owner;
    return std::nullopt;
  }
  if (owner == reported_gone_)
    return std::nullopt;
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
  for (;;) {
    auto taken = try_take();
    if (taken || taken.error().code != errc::would_block)
      return taken;
    if (interrupted_.exchange(false, std::memory_order_acq_rel))
      return error{errc::timeout, "interrupted"};
    auto now = monotonic_ns();
    // Reading /proc costs microseconds: at most every 100 ms, never per frame.
    if (now - last_check_ns_ >= publisher_check_ns) {
      if (auto gone = check_publisher(now))
        return *gone;
    }
    if (now >= deadline)
      return error{errc::timeout};
    if (options_.busy_poll) {
      // Spin on the tail for a while, then look at the clock again.
      for (int i = 0; i < 256; ++i) {
        if (row.tail.load(std::memory_order_acquire) != row.head.load(std::memory_order_relaxed))
          break;
        cpu_relax();
      }
      continue;
    }
    auto word = row.wake.fetch_or(1u, std::memory_order_seq_cst) | 1u;
    // Look again after announcing the sleep: a publish in between sees the bit.
    if (row.tail.load(std::memory_order_seq_cst) != row.head.load(std::memory_order_seq_cst)
        || interrupted_.load(std::memory_order_acquire))
      continue;
    auto slice = std::min<int64_t>(deadline - now, publisher_check_ns);
    futex_wait(row.wake, word, std::chrono::nanoseconds(slice));
  }
}

void subscriber_core::interrupt() noexcept {
  interrupted_.store(true, std::memory_order_release);
  wake_reader(seg_->row(row_).wake);
}

} // namespace dxhub::shm::detail
