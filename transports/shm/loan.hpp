#pragma once

#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/frame_view.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace dxhub::shm {

namespace detail {
class publisher_core;
} // namespace detail

/// A chunk loaned by a publisher: written in place, then handed to
/// `publisher::publish`. Move-only; returned to the pool if destroyed unpublished.
/// Used from the publisher's thread only.
class loan {
public:
  loan() noexcept = default;
  loan(loan&& other) noexcept;
  loan& operator=(loan&& other) noexcept;
  loan(const loan&) = delete;
  loan& operator=(const loan&) = delete;
  ~loan();

  /// The frame header; sequence, session and timestamps are stamped at publish.
  frame_header& header() noexcept { return *header_; }

  /// The whole chunk payload (its capacity); subscribers see the first `size()` bytes.
  std::span<std::byte> payload() noexcept { return {payload_, capacity_}; }

  /// The frame seen through the channel's schema, for writing named fields.
  mutable_frame_view view() noexcept { return {header_, {payload_, size_}, schema_}; }

  /// Sets how many payload bytes subscribers see (clamped to the capacity);
  /// defaults to the schema's payload size, or the capacity for an empty schema.
  void set_size(std::size_t bytes) noexcept { size_ = bytes < capacity_ ? bytes : capacity_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }

  /// The chunk's index in the pool and first payload byte (zero-copy checks).
  uint32_t chunk_index() const noexcept { return index_; }
  std::byte* data() noexcept { return payload_; }

  explicit operator bool() const noexcept { return core_ != nullptr; }

private:
  friend class detail::publisher_core;
  friend class publisher;

  loan(detail::publisher_core* core, uint32_t index, frame_header* header, std::byte* payload,
       std::size_t capacity, std::size_t size, const frame_schema* schema)
    : core_(core), index_(index), header_(header), payload_(payload), capacity_(capacity),
      size_(size), schema_(schema) {}

  void reset() noexcept;

  // Not a shared_ptr: its atomic count would be a locked instruction per
  // frame, a full fence that waits for the chunk header's cache line. The
  // core outlives its loans by itself (publisher_core::release_owner).
  detail::publisher_core* core_ = nullptr;
  uint32_t index_ = 0;
  frame_header* header_ = nullptr;
  std::byte* payload_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  const frame_schema* schema_ = nullptr;
};

} // namespace dxhub::shm
