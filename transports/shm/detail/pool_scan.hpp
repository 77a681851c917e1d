#pragma once

#include "dxhub/transports/shm/detail/segment.hpp"

#include <bit>
#include <cstdint>
#include <vector>

namespace dxhub::shm::detail {

/// Sets in `in_use` (one bit per chunk) every chunk that row `i` queues
/// (`mark_queue`) or queues or holds (`mark_row`).
/// The queue window is read before the held bitmap: a reader records a chunk
/// as held before it pops it, so a chunk moving from queue to held is seen in
/// at least one of them.
inline void mark_queue(const segment& seg, uint32_t i, std::vector<uint64_t>& in_use) noexcept {
  auto& row = seg.row(i);
  auto cap = seg.ring_capacity();
  auto count = seg.chunk_count();
  auto head = row.head.load(std::memory_order_seq_cst);
  auto tail = row.tail.load(std::memory_order_acquire);
  if (tail - head > cap) // a foreign writer or a torn read of a dead row: bound the walk
    head = tail - cap;
  auto* ring = seg.ring(i);
  for (auto pos = head; pos < tail; ++pos) {
    auto c = ring[pos % cap].load(std::memory_order_relaxed);
    if (c < count)
      in_use[c / 64] |= uint64_t{1} << (c % 64);
  }
}

inline void mark_row(const segment& seg, uint32_t i, std::vector<uint64_t>& in_use) noexcept {
  mark_queue(seg, i, in_use);
  auto* held = seg.held(i);
  for (uint32_t w = 0; w < seg.held_words(); ++w)
    in_use[w] |= held[w].load(std::memory_order_seq_cst);
}

/// Sets in `in_use` the chunks row `i` holds (not those it queues).
inline void mark_held(const segment& seg, uint32_t i, std::vector<uint64_t>& in_use) noexcept {
  auto* held = seg.held(i);
  for (uint32_t w = 0; w < seg.held_words(); ++w)
    in_use[w] |= held[w].load(std::memory_order_seq_cst);
}

/// Number of queued entries of row `i`.
inline uint64_t queued_in_row(const segment& seg, uint32_t i) noexcept {
  auto& row = seg.row(i);
  auto head = row.head.load(std::memory_order_acquire);
  auto tail = row.tail.load(std::memory_order_acquire);
  return tail > head ? tail - head : 0;
}

/// Number of chunks row `i` holds.
inline uint64_t held_in_row(const segment& seg, uint32_t i) noexcept {
  uint64_t n = 0;
  auto* held = seg.held(i);
  for (uint32_t w = 0; w < seg.held_words(); ++w)
    n += static_cast<uint64_t>(std::popcount(held[w].load(std::memory_order_acquire)));
  return n;
}

/// Chunks whose bit is set, limited to the pool size.
inline uint32_t count_bits(const std::vector<uint64_t>& bits, uint32_t count) noexcept {
  uint32_t n = 0;
  for (uint32_t c = 0; c < count; ++c)
    n += (bits[c / 64] >> (c % 64)) & 1u;
  return n;
}

} // namespace dxhub::shm::detail
