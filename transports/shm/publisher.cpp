#include "dxhub/transports/shm/publisher.hpp"

#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/shm/detail/futex.hpp"
#include "dxhub/transports/shm/detail/publisher_core.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <cstring>
#include <thread>
#include <unistd.h>
#include <utility>

namespace dxhub::shm {

namespace {

using detail::layout;
using detail::open_problem;
using detail::segment;

expected<void> check_options(const channel_options& o, const frame_schema& schema) {
  auto bad = [](std::string what) -> expected<void> {
    return error{errc::invalid_argument, "channel options: " + what};
  };
  if (o.chunk_count == 0 || o.chunk_count > (1u << 20))
    return bad("chunk_count must be 1..1048576");
  if (o.max_subscribers == 0 || o.max_subscribers > detail::max_rows)
    return bad("max_subscribers must be 1.." + std::to_string(detail::max_rows));
  if (o.max_queue_depth == 0 || o.max_queue_depth > 65536)
    return bad("max_queue_depth must be 1..65536");
  if (o.chunk_size == 0 || o.chunk_size > (std::size_t{1} << 40))
    return bad("chunk_size must be 1 byte..1 TiB");
  if (o.reliable_timeout.count() < 0)
    return bad("reliable_timeout must not be negative");
  DXHUB_TRYV(schema.validate());
  DXHUB_TRY(payload, schema.payload_size());
  if (payload > o.chunk_size)
    return error{errc::frame_too_large,
                 "frame schema '" + schema.name + "' needs " + std::to_string(payload)
                     + " payload bytes, chunks hold " + std::to_string(o.chunk_size)};
  return ok();
}

// What differs between an existing segment and the one asked for; empty if nothing.
std::string differences(const segment& seg, const layout& want, const frame_schema& schema) {
  auto& h = seg.header();
  std::string diff;
  auto note = [&](const char* what, uint64_t have, uint64_t asked) {
    if (have != asked)
      diff += std::string{diff.empty() ? "" : ", "} + what + " " + std::to_string(have) + " (asked "
              + std::to_string(asked) + ")";
  };
  note("chunk size", h.chunk_capacity, want.chunk_capacity);
  note("chunk count", h.chunk_count, want.chunk_count);
  note("max subscribers", h.max_subscribers, want.max_subscribers);
  note("max queue depth", h.ring_capacity, want.ring_capacity);
  auto have_id = seg.schema_identity();
  auto want_id = schema.id();
  if (have_id != want_id)
    diff += std::string{diff.empty() ? "" : ", "} + "schema " + to_string(have_id) + " (asked "
            + to_string(want_id) + ")";
  return diff;
}

// A reader that is alive or of unknown liveness counts as live.
bool has_live_subscriber(const segment& seg, const detail::slot_lock& lock) {
  for (uint32_t i = 0; i < seg.max_subscribers(); ++i) {
    auto& row = seg.row(i);
    if (row.owner.load(std::memory_order_acquire) == 0
        && row.state.load(std::memory_order_acquire)
               == static_cast<uint32_t>(detail::row_state::free))
      continue;
    if (lock.probe(detail::row_slot(i)) != liveness::dead)
      return true;
  }
  return false;
}

// Takes the publisher's slot: proof for everyone that we run. Readers that
// reclaim rows hold it shared for a moment: wait for them briefly.
expected<void> take_publisher_slot(detail::slot_lock& lock, const segment& seg,
                                   std::string_view channel) {
  auto deadline = detail::monotonic_ns() + 1'000'000'000;
  for (;;) {
    switch (lock.lock(detail::publisher_slot)) {
      case detail::lock_result::acquired:
        return ok();
      case detail::lock_result::held:
        return error{errc::already_exists,
                     "channel '" + std::string{channel} + "' has a live publisher (pid "
                         + std::to_string(process_identity::unpack(
                                              seg.publisher().owner.load(std::memory_order_acquire))
                                              .pid)
                         + ")"};
      case detail::lock_result::read_held:
        if (detail::monotonic_ns() >= deadline)
          return error{errc::already_exists, "channel '" + std::string{channel}
                                                 + "': readers kept reclaiming rows for 1 s"};
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      default:
        return last_system_error("locking the publisher slot of channel '" + std::string{channel}
                                 + "'");
    }
  }
}

} // namespace

expected<publisher> publisher::open(std::string_view channel, const frame_schema& schema,
                                    const channel_options& options) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  DXHUB_TRYV(check_options(options, schema));
  auto name = segment_name(channel);
  auto want = layout::compute(options.chunk_size, options.chunk_count, options.max_subscribers,
                              options.max_queue_depth);
  auto self = process_identity::current();
  auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(options.reliable_timeout);
  // An existing segment must be ours and no more open than configured: one
  // pre-created by another user would let that user read our frames.
  detail::access_rule rule;
  rule.owner = ::geteuid();
  rule.max_mode = options.mode;
  rule.group = options.group;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto created = segment::create(name, schema, want, options);
    std::shared_ptr<segment> seg;
    if (created) {
      seg = created.value();
    } else if (created.error().code != errc::already_exists) {
      return created.error();
    } else {
      open_problem problem = open_problem::none;
      auto opened = segment::open(name, true, &problem, &rule);
      if (!opened) {
        if (problem == open_problem::missing)
          continue; // unlinked between our create and open: try again
        if (problem == open_problem::uninitialized) {
          DXHUB_TRYV(detail::unlink_segment(name)); // its creator died half-way
          continue;
        }
        return opened.error();
      }
      seg = opened.value();
    }
    auto lock = detail::slot_lock::open(name, seg->device(), seg->inode(), true);
    if (!lock) {
      if (lock.error().code == errc::segment_not_found)
        continue; // recycled by someone else meanwhile
      return lock.error();
    }
    DXHUB_TRYV(take_publisher_slot(lock.value(), *seg, channel));
    if (!created) {
      if (auto diff = differences(*seg, want, schema); !diff.empty()) {
        if (has_live_subscriber(*seg, lock.value())) {
          auto code =
              seg->schema_identity() != schema.id() ? errc::schema_mismatch : errc::layout_mismatch;
          return error{code, "channel '" + std::string{channel}
                                 + "' has live subscribers and differs: " + diff};
        }
        // A stale segment of an earlier run: recycle the name.
        DXHUB_TRYV(detail::unlink_segment(name));
        continue;
      }
    }
    seg->publisher().owner.store(self.pack(), std::memory_order_release);
    auto core = std::make_shared<detail::publisher_core>(seg, std::move(lock).value(), schema,
                                                         std::string{channel}, self, timeout);
    core->start_session();
    return publisher{std::move(core)};
  }
  return error{errc::already_exists,
               "channel '" + std::string{channel} + "': segment kept changing while opening"};
}

publisher::publisher(publisher&&) noexcept = default;

publisher& publisher::operator=(publisher&& other) noexcept {
  if (this != &other) {
    if (core_)
      detail::publisher_core::release_owner(std::move(core_));
    core_ = std::move(other.core_);
  }
  return *this;
}

publisher::~publisher() {
  if (core_)
    detail::publisher_core::release_owner(std::move(core_));
}

expected<loan> publisher::loan_chunk() {
  return core_->loan_chunk();
}

expected<uint64_t> publisher::publish(loan&& chunk) {
  if (!chunk || chunk.core_ != core_.get())
    return error{errc::invalid_argument, "publish: the loan is empty or from another publisher"};
  return core_->publish(&chunk, 1);
}

expected<publish_outcome> publisher::publish_and_report(loan&& chunk) {
  if (!chunk || chunk.core_ != core_.get())
    return error{errc::invalid_argument, "publish: the loan is empty or from another publisher"};
  publish_outcome out;
  DXHUB_TRY(sequence, core_->publish(&chunk, 1, &out.slow));
  out.sequence = sequence;
  return out;
}

expected<uint64_t> publisher::publish(std::span<loan> chunks) {
  for (auto& chunk : chunks)
    if (!chunk || chunk.core_ != core_.get())
      return error{errc::invalid_argument,
                   "publish: a loan of the batch is empty or from another publisher"};
  if (chunks.empty())
    return core_->sequence();
  return core_->publish(chunks.data(), chunks.size());
}

expected<uint64_t> publisher::publish_copy(std::span<const std::byte> payload,
                                           const metadata& meta) {
  DXHUB_TRY(chunk, core_->loan_chunk());
  if (payload.size() > chunk.capacity())
    return error{errc::frame_too_large,
                 "channel '" + core_->channel() + "': payload of " + std::to_string(payload.size())
                     + " bytes, chunks hold " + std::to_string(chunk.capacity())};
  std::memcpy(chunk.data(), payload.data(), payload.size());
  chunk.set_size(payload.size());
  chunk.header().meta = meta;
  return core_->publish(&chunk, 1);
}

void publisher::maintain() {
  core_->maintain(detail::monotonic_ns());
}

uint64_t publisher::session_id() const {
  return core_->session();
}

uint64_t publisher::sequence() const {
  return core_->sequence();
}

const frame_schema& publisher::schema() const {
  return core_->schema();
}

const std::string& publisher::channel() const {
  return core_->channel();
}

std::size_t publisher::subscriber_count() const {
  return core_->subscriber_count();
}

uint32_t publisher::free_chunks() {
  return core_->free_chunks();
}

loan::loan(loan&& other) noexcept
  : core_(std::exchange(other.core_, nullptr)), index_(other.index_), header_(other.header_),
    payload_(other.payload_), capacity_(other.capacity_), size_(other.size_),
    schema_(other.schema_) {}

loan& loan::operator=(loan&& other) noexcept {
  if (this != &other) {
    reset();
    core_ = std::exchange(other.core_, nullptr);
    index_ = other.index_;
    header_ = other.header_;
    payload_ = other.payload_;
    capacity_ = other.capacity_;
    size_ = other.size_;
    schema_ = other.schema_;
  }
  return *this;
}

loan::~loan() {
  reset();
}

void loan::reset() noexcept {
  if (core_)
    std::exchange(core_, nullptr)->give_back(index_);
}

} // namespace dxhub::shm
