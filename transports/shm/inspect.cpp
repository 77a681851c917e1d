#include "dxhub/transports/shm/inspect.hpp"

#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/shm/detail/pool_scan.hpp"
#include "dxhub/transports/shm/detail/segment.hpp"
#include "dxhub/transports/shm/process_identity.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

namespace dxhub::shm {

namespace {

subscriber_info describe_row(const detail::segment& seg, uint32_t i) {
  auto& row = seg.row(i);
  auto who = process_identity::unpack(row.owner.load(std::memory_order_acquire));
  subscriber_info info;
  info.row = i;
  info.pid = who.pid;
  info.alive = is_alive(who);
  info.mode = row.policy.load(std::memory_order_relaxed) == static_cast<uint32_t>(policy::reliable)
                  ? policy::reliable
                  : policy::latest;
  info.queue_depth = row.depth.load(std::memory_order_relaxed);
  info.queued = detail::queued_in_row(seg, i);
  info.held = detail::held_in_row(seg, i);
  info.delivered = row.delivered.load(std::memory_order_relaxed);
  info.dropped = row.dropped.load(std::memory_order_relaxed);
  info.last_heartbeat_ns = row.heartbeat_ns.load(std::memory_order_relaxed);
  return info;
}

} // namespace

expected<channel_info> inspect(std::string_view channel) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  // Read-only mapping: inspection can neither claim a row nor move an index.
  DXHUB_TRY(seg, detail::segment::open(segment_name(channel), false));
  auto& h = seg->header();
  auto& pub = seg->publisher();
  channel_info info;
  info.channel = std::string{channel};
  info.segment = seg->name();
  info.schema = seg->schema_identity();
  info.chunk_size = h.chunk_capacity;
  info.chunk_count = h.chunk_count;
  info.max_subscribers = h.max_subscribers;
  info.max_queue_depth = h.ring_capacity;
  info.mode = seg->mode();
  auto owner = process_identity::unpack(pub.owner.load(std::memory_order_acquire));
  info.publisher_pid = owner.pid;
  info.publisher_alive = is_alive(owner);
  info.session = pub.session.load(std::memory_order_relaxed);
  info.sequence = pub.sequence.load(std::memory_order_relaxed);
  info.sessions = pub.sessions.load(std::memory_order_relaxed);
  info.publisher_heartbeat_ns = pub.heartbeat_ns.load(std::memory_order_relaxed);
  info.chunks_loaned = info.publisher_alive ? pub.loaned.load(std::memory_order_relaxed) : 0;
  std::vector<uint64_t> in_use(seg->held_words(), 0);
  for (uint32_t i = 0; i < seg->max_subscribers(); ++i) {
    auto& row = seg->row(i);
    if (row.owner.load(std::memory_order_acquire) == 0
        || row.state.load(std::memory_order_acquire)
               != static_cast<uint32_t>(detail::row_state::ready))
      continue;
    auto sub = describe_row(*seg, i);
    if (sub.alive)
      detail::mark_row(*seg, i, in_use);
    info.subscribers.push_back(sub);
  }
  auto used = detail::count_bits(in_use, info.chunk_count) + info.chunks_loaned;
  info.chunks_used = std::min(used, info.chunk_count);
  info.chunks_free = info.chunk_count - info.chunks_used;
  return info;
}

} // namespace dxhub::shm
