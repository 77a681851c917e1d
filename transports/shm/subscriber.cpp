#include "dxhub/transports/shm/subscriber.hpp"

#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/shm/detail/futex.hpp"
#include "dxhub/transports/shm/detail/subscriber_core.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

namespace dxhub::shm {

namespace {

using detail::row_state;
using detail::segment;

// Claims a free row: owner first (the claim), then a clean queue, then ready.
expected<uint32_t> claim_row(segment& seg, uint64_t me, const subscriber_options& options) {
  for (uint32_t i = 0; i < seg.max_subscribers(); ++i) {
    auto& row = seg.row(i);
    if (row.state.load(std::memory_order_acquire) != static_cast<uint32_t>(row_state::free))
      continue;
    uint64_t none = 0;
    if (!row.owner.compare_exchange_strong(none, me, std::memory_order_acq_rel))
      continue;
    auto* held = seg.held(i);
    for (uint32_t w = 0; w < seg.held_words(); ++w)
      held[w].store(0, std::memory_order_relaxed);
    row.policy.store(static_cast<uint32_t>(options.mode), std::memory_order_relaxed);
    row.depth.store(options.queue_depth, std::memory_order_relaxed);
    row.flags.store(options.busy_poll ? detail::reader_never_sleeps : 0u,
                    std::memory_order_relaxed);
    row.delivered.store(0, std::memory_order_relaxed);
    row.dropped.store(0, std::memory_order_relaxed);
    row.wake.store(0, std::memory_order_relaxed);
    row.space.store(0, std::memory_order_relaxed);
    row.heartbeat_ns.store(detail::monotonic_ns(), std::memory_order_relaxed);
    row.generation.fetch_add(1, std::memory_order_relaxed);
    row.head.store(row.tail.load(std::memory_order_acquire), std::memory_order_seq_cst);
    row.state.store(static_cast<uint32_t>(row_state::ready), std::memory_order_seq_cst);
    return i;
  }
  return error{errc::subscribers_full, "segment '" + seg.name() + "': all "
                                           + std::to_string(seg.max_subscribers())
                                           + " subscriber rows are taken"};
}

} // namespace

expected<subscriber> subscriber::attach(std::string_view channel, const schema_id& expected,
                                        const subscriber_options& options) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  DXHUB_TRY(seg, segment::open(segment_name(channel), true));
  DXHUB_TRYV(require_same_schema(seg->schema_identity(), expected,
                                 "channel '" + std::string{channel} + "'", "the subscriber"));
  if (options.queue_depth == 0 || options.queue_depth > seg->ring_capacity())
    return error{errc::invalid_argument, "queue depth " + std::to_string(options.queue_depth)
                                             + " outside 1.." + std::to_string(seg->ring_capacity())
                                             + " of channel '" + std::string{channel} + "'"};
  DXHUB_TRY(schema, seg->schema());
  auto me = process_identity::current().pack();
  DXHUB_TRY(row, claim_row(*seg, me, options));
  return subscriber{std::make_shared<detail::subscriber_core>(
      seg, std::move(schema), std::string{channel}, row, me, options)};
}

subscriber::subscriber(subscriber&&) noexcept = default;
subscriber& subscriber::operator=(subscriber&&) noexcept = default;
subscriber::~subscriber() = default;

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
