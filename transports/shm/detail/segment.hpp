#pragma once

// One mapped channel segment. Within a process every writable mapping of the
// same segment is shared (keyed by device and inode), so that a publisher and
// subscribers in one process see the same addresses - which is also what
// lets ThreadSanitizer check the lock-free protocol.

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/transports/shm/channel_options.hpp"
#include "dxhub/transports/shm/detail/layout.hpp"
#include "dxhub/transports/shm/detail/truncation_guard.hpp"

#include <boost/interprocess/mapped_region.hpp>

#include <sys/types.h>

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace dxhub::shm::detail {

/// Why an existing segment could not be used.
enum class open_problem { none, missing, uninitialized, invalid, foreign_owner };

/// Who may have made a segment we adopt: its file must belong to `owner`
/// (and `group`, if given) and grant no permission bit outside `max_mode`.
struct access_rule {
  uid_t owner = 0;
  mode_t max_mode = 0600;
  std::optional<gid_t> group;
};

class segment {
public:
  /// Opens and validates an existing segment; `problem` tells a publisher
  /// whether it may recycle the name.
  static expected<std::shared_ptr<segment>> open(const std::string& name, bool writable,
                                                 open_problem* problem = nullptr,
                                                 const access_rule* rule = nullptr);

  /// Creates a new segment (fails with `already_exists` if the name is taken).
  static expected<std::shared_ptr<segment>> create(const std::string& name,
                                                   const frame_schema& schema, const layout& shape,
                                                   const channel_options& options);

  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  const std::string& name() const noexcept { return name_; }
  /// The header in the segment. Its fields may have been changed by any
  /// participant since open: sizes and offsets come from `shape()`, the copy
  /// validated at open, never from here.
  segment_header& header() const noexcept { return *reinterpret_cast<segment_header*>(base_); }
  publisher_record& publisher() const noexcept { return header().publisher; }
  const layout& shape() const noexcept { return shape_; }
  uint32_t chunk_count() const noexcept { return shape_.chunk_count; }
  uint32_t max_subscribers() const noexcept { return shape_.max_subscribers; }
  uint32_t ring_capacity() const noexcept { return shape_.ring_capacity; }
  uint32_t held_words() const noexcept { return shape_.held_words; }
  uint64_t chunk_capacity() const noexcept { return shape_.chunk_capacity; }

  /// Marks row `i` as possibly occupied (layout.hpp, `roster`): before it is ready.
  void enlist(uint32_t i) const noexcept {
    header().roster[i / 64].fetch_or(uint64_t{1} << (i % 64), std::memory_order_seq_cst);
  }
  /// Unmarks row `i`: only by whoever freed it, after it is free.
  void unlist(uint32_t i) const noexcept {
    header().roster[i / 64].fetch_and(~(uint64_t{1} << (i % 64)), std::memory_order_release);
  }
  bool listed(uint32_t i) const noexcept {
    return (header().roster[i / 64].load(std::memory_order_acquire) >> (i % 64)) & 1u;
  }
  /// Calls `visit(i)` for every listed row, in order.
  template <class F>
  void for_each_listed(F&& visit) const {
    auto words = (max_subscribers() + 63) / 64;
    for (uint32_t w = 0; w < words; ++w)
      for (auto bits = header().roster[w].load(std::memory_order_acquire); bits != 0;
           bits &= bits - 1) {
        auto i = w * 64 + static_cast<uint32_t>(std::countr_zero(bits));
        if (i >= max_subscribers())
          return; // a bit nobody should have set
        visit(i);
      }
  }

  subscriber_row& row(uint32_t i) const noexcept {
    return reinterpret_cast<subscriber_row*>(base_ + shape_.subscribers_offset)[i];
  }
  std::atomic<uint64_t>* held(uint32_t i) const noexcept {
    return reinterpret_cast<std::atomic<uint64_t>*>(base_ + shape_.held_offset
                                                    + i * shape_.held_stride);
  }
  std::atomic<uint32_t>* ring(uint32_t i) const noexcept {
    return reinterpret_cast<std::atomic<uint32_t>*>(base_ + shape_.rings_offset
                                                    + i * shape_.ring_stride);
  }
  chunk_header& chunk(uint32_t c) const noexcept {
    return *reinterpret_cast<chunk_header*>(base_ + shape_.chunks_offset + c * shape_.chunk_stride);
  }
  std::byte* payload(uint32_t c) const noexcept {
    return base_ + shape_.chunks_offset + c * shape_.chunk_stride + chunk_header_bytes;
  }

  /// The channel's frame schema, decoded from the segment.
  expected<frame_schema> schema() const;
  schema_id schema_identity() const;

  /// Permission bits and owner group of the segment file.
  mode_t mode() const noexcept { return mode_; }
  gid_t group() const noexcept { return group_; }
  uid_t owner() const noexcept { return owner_; }
  dev_t device() const noexcept { return dev_; }
  ino_t inode() const noexcept { return ino_; }

  /// True once an access of ours found the file cut short by another process
  /// (caught, not fatal: truncation_guard.hpp); the mapping is no longer the
  /// channel's.
  bool cut() const noexcept { return guard_.cut(); }

private:
  segment() = default;

  std::string name_;
  boost::interprocess::mapped_region region_;
  truncation_guard guard_; // after region_: disarmed before the unmap
  std::byte* base_ = nullptr;
  layout shape_;
  mode_t mode_ = 0;
  gid_t group_ = 0;
  uid_t owner_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

/// "uid 65534 (nobody)": a user id with its name where one is known.
std::string describe_user(uid_t uid);

/// Unlinks a segment name; missing is not an error.
expected<void> unlink_segment(const std::string& name);

} // namespace dxhub::shm::detail
