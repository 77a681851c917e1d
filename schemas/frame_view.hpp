#pragma once

#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <cstddef>
#include <span>
#include <string_view>

namespace dxhub {

/// One field of a frame as a typed span plus its shape.
template <class T>
struct field_view {
  std::span<T> values;
  shape dims;
};

/// A frame seen through its schema: header, raw payload and typed fields.
/// Non-owning; whoever made it keeps the bytes alive (a pinned chunk, a
/// received message). `Byte` is `const std::byte` for readers and `std::byte`
/// for a publisher writing a loaned chunk in place.
template <class Byte>
class basic_frame_view {
public:
  using header_type = std::conditional_t<std::is_const_v<Byte>, const frame_header, frame_header>;

  basic_frame_view() = default;
  basic_frame_view(header_type* header, std::span<Byte> payload, const frame_schema* schema)
    : header_(header), payload_(payload), schema_(schema) {}

  header_type& header() const noexcept { return *header_; }
  std::span<Byte> payload() const noexcept { return payload_; }
  const frame_schema& schema() const noexcept { return *schema_; }

  /// Field `name` as elements of `T`; fails when the field is missing, has
  /// another dtype, or lies outside the payload.
  template <class T>
  auto field(std::string_view name) const {
    using element = std::conditional_t<std::is_const_v<Byte>, const T, T>;
    using result = expected<field_view<element>>;
    auto where = schema_->locate(name, dtype_of<T>);
    if (!where)
      return result{where.error()};
    if (where.value().offset + where.value().bytes > payload_.size())
      return result{error{errc::truncated_message,
                          "field '" + std::string{name} + "' lies outside the frame"}};
    auto* first = reinterpret_cast<element*>(payload_.data() + where.value().offset);
    return result{
        field_view<element>{{first, where.value().bytes / sizeof(T)}, where.value().dims}};
  }

  /// Field `name` as raw bytes, whatever its dtype.
  expected<std::span<Byte>> field_bytes(std::string_view name) const {
    DXHUB_TRY(where, schema_->locate(name));
    if (where.offset + where.bytes > payload_.size())
      return error{errc::truncated_message,
                   "field '" + std::string{name} + "' lies outside the frame"};
    return payload_.subspan(where.offset, where.bytes);
  }

private:
  header_type* header_ = nullptr;
  std::span<Byte> payload_;
  const frame_schema* schema_ = nullptr;
};

/// A read-only frame.
using frame_view = basic_frame_view<const std::byte>;

/// A frame being written in place by its publisher.
using mutable_frame_view = basic_frame_view<std::byte>;

} // namespace dxhub
