#include "dxhub/transports/shm/subscriber.hpp"

#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/shm/detail/futex.hpp"
#include "dxhub/transports/shm/detail/subscriber_core.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <limits>
#include <unistd.h>

namespace dxhub::shm {

namespace {

using detail::row_state;
using detail::segment;
using detail::slot_lock;

// Prepares a row whose slot lock we hold and whose owner is now us: a clean
// queue, then ready. Returns the row's new generation.
uint64_t set_up_row(segment& seg, uint32_t i, const subscriber_options& options) {
  auto& row = seg.row(i);
  if (options.mode != policy::newest)
    seg.enlist(i); // before anything the publisher could act on
  auto* held = seg.held(i);
  for (uint32_t w = 0; w < seg.held_words(); ++w)
    held[w].store(0, std::memory_order_relaxed);
  row.policy.store(static_cast<uint32_t>(options.mode), std::memory_order_relaxed);
  row.depth.store(options.queue_depth, std::memory_order_relaxed);
  // A spinning or polling reader never sets its wake bit.
  row.flags.store(options.busy_poll || options.poll_period.count() > 0 ? detail::reader_never_sleeps
                                                                       : 0u,
                  std::memory_order_relaxed);
  row.reliable_timeout.store(
      options.reliable_timeout ? static_cast<uint32_t>(options.reliable_timeout->count()) + 1 : 0u,
      std::memory_order_relaxed);
  row.delivered.store(0, std::memory_order_relaxed);
  row.dropped.store(0, std::memory_order_relaxed);
  row.wake.store(0, std::memory_order_relaxed);
  row.space.store(0, std::memory_order_relaxed);
  row.heartbeat_ns.store(detail::monotonic_ns(), std::memory_order_relaxed);
  auto generation = row.generation.fetch_add(1, std::memory_order_relaxed) + 1;
  row.head.store(row.tail.load(std::memory_order_acquire), std::memory_order_seq_cst);
  row.state.store(static_cast<uint32_t>(row_state::ready), std::memory_order_seq_cst);
  return generation;
}

struct claimed_row {
  uint32_t index;
  uint64_t generation;
};

// Claims a row: its slot lock first (the claim), then the owner word, then a
// clean queue, then ready. A free row is taken whoever owned it last (its
// lock being free proves the owner gone). When none is free and no publisher
// runs, a row whose owner is proven dead is reclaimed: a read lock on the
// publisher's slot keeps a publisher from starting meanwhile.
expected<claimed_row> claim_row(segment& seg, slot_lock& lock, uint64_t me,
                                const subscriber_options& options) {
  auto take = [&](uint32_t i, bool any_state) -> std::optional<claimed_row> {
    auto& row = seg.row(i);
    if (lock.lock(detail::row_slot(i)) != detail::lock_result::acquired)
      return std::nullopt;
    auto owner = row.owner.load(std::memory_order_acquire);
    if ((any_state
         || row.state.load(std::memory_order_acquire) == static_cast<uint32_t>(row_state::free))
        && row.owner.compare_exchange_strong(owner, me, std::memory_order_acq_rel))
      return claimed_row{i, set_up_row(seg, i, options)};
    lock.unlock(detail::row_slot(i));
    return std::nullopt;
  };
  for (uint32_t i = 0; i < seg.max_subscribers(); ++i)
    if (seg.row(i).state.load(std::memory_order_acquire) == static_cast<uint32_t>(row_state::free))
      if (auto got = take(i, false))
        return *got;
  uint32_t unknown = 0;
  bool publisher_runs = false;
  switch (lock.lock(detail::publisher_slot, false)) {
    case detail::lock_result::acquired:
      for (uint32_t i = 0; i < seg.max_subscribers(); ++i) {
        auto live = lock.probe(detail::row_slot(i));
        unknown += live == liveness::unknown;
        if (live == liveness::dead)
          if (auto got = take(i, true)) {
            lock.unlock(detail::publisher_slot);
            return *got;
          }
      }
      lock.unlock(detail::publisher_slot);
      break;
    case detail::lock_result::held:
      publisher_runs = true;
      break;
    default:
      break;
  }
  return error{errc::subscribers_full,
               "segment '" + seg.name() + "': all " + std::to_string(seg.max_subscribers())
                   + " subscriber rows are taken"
                   + (publisher_runs ? " (the running publisher frees those of dead readers)" : "")
                   + (unknown > 0 ? " (" + std::to_string(unknown) + " by readers whose liveness "
                                        + "cannot be told)"
                                  : "")};
}

} // namespace

expected<subscriber> subscriber::attach(std::string_view channel, const schema_id& expected,
                                        const subscriber_options& options) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  detail::access_rule rule;
  rule.owner = options.owner.value_or(::geteuid());
  rule.max_mode = options.max_mode;
  auto name = segment_name(channel);
  DXHUB_TRY(seg, segment::open(name, true, nullptr, &rule));
  DXHUB_TRYV(require_same_schema(seg->schema_identity(), expected,
                                 "channel '" + std::string{channel} + "'", "the subscriber"));
  if (options.queue_depth == 0 || options.queue_depth > seg->ring_capacity())
    return error{errc::invalid_argument, "queue depth " + std::to_string(options.queue_depth)
                                             + " outside 1.." + std::to_string(seg->ring_capacity())
                                             + " of channel '" + std::string{channel} + "'"};
  if (options.reliable_timeout
      && (options.reliable_timeout->count() < 0
          || options.reliable_timeout->count() >= std::numeric_limits<uint32_t>::max()))
    return error{errc::invalid_argument,
                 "reliable timeout " + std::to_string(options.reliable_timeout->count())
                     + " ms outside 0.." + std::to_string(std::numeric_limits<uint32_t>::max() - 1)
                     + " of channel '" + std::string{channel} + "'"};
  if (options.poll_period.count() < 0 || options.poll_period > std::chrono::seconds{1})
    return error{errc::invalid_argument,
                 "poll period " + std::to_string(options.poll_period.count())
                     + " ns outside 0..1 s of channel '" + std::string{channel} + "'"};
  auto wanted = options;
  // Nobody wakes a reader without a queue: it looks now and then, or spins.
  if (wanted.mode == policy::newest && !wanted.busy_poll && wanted.poll_period.count() == 0)
    wanted.poll_period = std::chrono::milliseconds{1};
  DXHUB_TRY(schema, seg->schema());
  DXHUB_TRY(lock, detail::slot_lock::open(name, seg->device(), seg->inode(), true));
  auto me = process_identity::current().pack();
  DXHUB_TRY(row, claim_row(*seg, lock, me, wanted));
  return subscriber{std::make_shared<detail::subscriber_core>(
      seg, std::move(lock), std::move(schema), std::string{channel}, row.index, me, row.generation,
      wanted)};
}

subscriber::subscriber(subscriber&&) noexcept = default;

subscriber& subscriber::operator=(subscriber&& other) noexcept {
  if (this != &other) {
    if (core_)
      core_->detach();
    core_ = std::move(other.core_);
  }
  return *this;
}

subscriber::~subscriber() {
  // Frames handed out may outlive us (they keep the core): they pin their
  // chunks, but the publisher no longer queues for (or waits on) the row.
  if (core_)
    core_->detach();
}

expected<frame> subscriber::try_take() {
  return core_->try_take();
}

expected<frame> subscriber::take(std::chrono::nanoseconds timeout) {
  return core_->take(timeout);
}

void subscriber::interrupt() {
  core_->interrupt();
}

uint64_t subscriber::delivered() const {
  return core_->seg().row(core_->row()).delivered.load(std::memory_order_relaxed);
}

uint64_t subscriber::dropped() const {
  return core_->seg().row(core_->row()).dropped.load(std::memory_order_relaxed);
}

const frame_schema& subscriber::schema() const {
  return core_->schema();
}

const std::string& subscriber::channel() const {
  return core_->channel();
}

uint32_t subscriber::row() const {
  return core_->row();
}

bool subscriber::publisher_alive() const {
  return core_->publisher_alive();
}

frame::frame(frame&& other) noexcept
  : core_(std::move(other.core_)), index_(other.index_), header_(other.header_),
    payload_(other.payload_), size_(other.size_), schema_(other.schema_) {}

frame& frame::operator=(frame&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    index_ = other.index_;
    header_ = other.header_;
    payload_ = other.payload_;
    size_ = other.size_;
    schema_ = other.schema_;
  }
  return *this;
}

frame::~frame() {
  release();
}

void frame::release() noexcept {
  if (core_) {
    core_->release(index_);
    core_.reset();
  }
}

} // namespace dxhub::shm
