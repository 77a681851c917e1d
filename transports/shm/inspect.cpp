#include "dxhub/transports/shm/inspect.hpp"

#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/shm/detail/pool_scan.hpp"
#include "dxhub/transports/shm/detail/segment.hpp"
#include "dxhub/transports/shm/detail/slot_lock.hpp"
#include "dxhub/transports/shm/process_identity.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

namespace dxhub::shm {

namespace {

subscriber_info describe_row(const detail::segment& seg, const detail::slot_lock& lock,
                             uint32_t i) {
  auto& row = seg.row(i);
  auto who = process_identity::unpack(row.owner.load(std::memory_order_acquire));
  subscriber_info info;
  info.row = i;
  info.pid = who.pid;
  info.state = lock.probe(detail::row_slot(i));
  info.alive = info.state == liveness::alive;
  info.detached = row.state.load(std::memory_order_acquire)
                  == static_cast<uint32_t>(detail::row_state::detached);
  auto mode = row.policy.load(std::memory_order_relaxed);
  info.mode = mode == static_cast<uint32_t>(policy::reliable) ? policy::reliable
              : mode == static_cast<uint32_t>(policy::newest) ? policy::newest
                                                              : policy::latest;
  info.queue_depth = row.depth.load(std::memory_order_relaxed);
  info.queued = detail::queued_in_row(seg, i);
  info.held = detail::held_in_row(seg, i);
  info.delivered = row.delivered.load(std::memory_order_relaxed);
  info.dropped = row.dropped.load(std::memory_order_relaxed);
  info.never_sleeps =
      (row.flags.load(std::memory_order_relaxed) & detail::reader_never_sleeps) != 0;
  // Bit 0 says the reader sleeps; a wake-up clears it by adding one.
  info.wakeups = row.wake.load(std::memory_order_relaxed) >> 1;
  info.last_heartbeat_ns = row.heartbeat_ns.load(std::memory_order_relaxed);
  return info;
}

} // namespace

expected<channel_info> inspect(std::string_view channel) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  // Read-only mapping: inspection can neither claim a row nor move an index.
  auto name = segment_name(channel);
  DXHUB_TRY(seg, detail::segment::open(name, false));
  // Without a description of our own (no descriptor left?) every peer is `unknown`.
  auto lock = detail::slot_lock::open(name, seg->device(), seg->inode(), false);
  detail::slot_lock none;
  const auto& probe = lock ? lock.value() : none;
  auto& pub = seg->publisher();
  channel_info info;
  info.channel = std::string{channel};
  info.segment = seg->name();
  info.schema = seg->schema_identity();
  info.chunk_size = seg->chunk_capacity();
  info.chunk_count = seg->chunk_count();
  info.max_subscribers = seg->max_subscribers();
  info.max_queue_depth = seg->ring_capacity();
  info.mode = seg->mode();
  info.owner = seg->owner();
  info.group = seg->group();
  info.owner_name = detail::describe_user(seg->owner());
  auto owner = process_identity::unpack(pub.owner.load(std::memory_order_acquire));
  info.publisher_pid = owner.pid;
  // A closed publisher cleared its owner word; its lock may live on in a
  // process it forked.
  info.publisher_state = owner.pid == 0 ? liveness::dead : probe.probe(detail::publisher_slot);
  info.publisher_alive = info.publisher_state == liveness::alive;
  info.unknown_peers += info.publisher_state == liveness::unknown;
  info.session = pub.session.load(std::memory_order_relaxed);
  info.sequence = pub.sequence.load(std::memory_order_relaxed);
  info.sessions = pub.sessions.load(std::memory_order_relaxed);
  info.publisher_heartbeat_ns = pub.heartbeat_ns.load(std::memory_order_relaxed);
  info.chunks_loaned = info.publisher_alive ? pub.loaned.load(std::memory_order_relaxed) : 0;
  std::vector<uint64_t> in_use(seg->held_words(), 0);
  for (uint32_t i = 0; i < seg->max_subscribers(); ++i) {
    auto& row = seg->row(i);
    auto state = row.state.load(std::memory_order_acquire);
    if (row.owner.load(std::memory_order_acquire) == 0
        || (state != static_cast<uint32_t>(detail::row_state::ready)
            && state != static_cast<uint32_t>(detail::row_state::detached)))
      continue;
    auto sub = describe_row(*seg, probe, i);
    info.unknown_peers += sub.state == liveness::unknown;
    // What the publisher keeps: everything of the alive and the unknown.
    if (sub.state != liveness::dead) {
      if (sub.detached)
        detail::mark_held(*seg, i, in_use);
      else
        detail::mark_row(*seg, i, in_use);
    }
    info.subscribers.push_back(sub);
  }
  auto used = detail::count_bits(in_use, info.chunk_count) + info.chunks_loaned;
  info.chunks_used = std::min(used, info.chunk_count);
  info.chunks_free = info.chunk_count - info.chunks_used;
  return info;
}

expected<frame_schema> inspect_schema(std::string_view channel) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  auto seg = detail::segment::open(segment_name(channel), false);
  if (!seg) {
    if (seg.error().code == errc::segment_not_found)
      return error{errc::unknown_channel, "no channel '" + std::string{channel}
                                              + "' on this host (no segment "
                                              + segment_name(channel) + ")"};
    return seg.error();
  }
  return seg.value()->schema();
}

} // namespace dxhub::shm
