#pragma once

#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/frame_view.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace dxhub::shm {

namespace detail {
class subscriber_core;
} // namespace detail

/// A received frame: a read-only view of the publisher's chunk, pinned until
/// this handle is destroyed. Move-only; it may outlive its subscriber.
class frame {
public:
  frame() noexcept = default;
  frame(frame&& other) noexcept;
  frame& operator=(frame&& other) noexcept;
  frame(const frame&) = delete;
  frame& operator=(const frame&) = delete;
  ~frame();

  const frame_header& header() const noexcept { return *header_; }
  std::span<const std::byte> payload() const noexcept { return {payload_, size_}; }
  frame_view view() const noexcept { return {header_, payload(), schema_}; }

  /// Field `name` as a typed span plus its shape.
  template <class T>
  expected<field_view<const T>> field(std::string_view name) const {
    return view().template field<T>(name);
  }

  /// The chunk's index in the pool and first payload byte (zero-copy checks).
  uint32_t chunk_index() const noexcept { return index_; }
  const std::byte* data() const noexcept { return payload_; }

  explicit operator bool() const noexcept { return core_ != nullptr; }

private:
  friend class detail::subscriber_core;

  frame(std::shared_ptr<detail::subscriber_core> core, uint32_t index, const frame_header* header,
        const std::byte* payload, std::size_t size, const frame_schema* schema)
    : core_(std::move(core)), index_(index), header_(header), payload_(payload), size_(size),
      schema_(schema) {}

  void release() noexcept;

  std::shared_ptr<detail::subscriber_core> core_;
  uint32_t index_ = 0;
  const frame_header* header_ = nullptr;
  const std::byte* payload_ = nullptr;
  std::size_t size_ = 0;
  const frame_schema* schema_ = nullptr;
};

} // namespace dxhub::shm
