#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/field.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub {

/// Where a field's data sits in a frame's payload.
struct field_location {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  shape dims;
};

/// The description of a frame type: a name, a version and its fields. The
/// payload holds the fields in order, each starting on a 64-byte boundary.
struct frame_schema {
  static constexpr const char* schema_name = "dxhub.frame_schema";
  static constexpr uint32_t schema_version = 1;
  static constexpr std::size_t field_alignment = 64;
  static constexpr std::size_t max_fields = 32;

  std::string name;
  uint32_t version = 1;
  std::vector<field> fields;

  /// The identity of frames of this type: name, version and the hash of the
  /// fields' names, dtypes and shapes, in order.
  schema_id id() const;

  /// Checks names (unique, non-empty, at most 63 bytes), field count and sizes.
  expected<void> validate() const;

  /// Payload bytes of one frame, alignment padding included.
  expected<uint64_t> payload_size() const;

  /// Finds field `field_name` and checks its dtype against `want`.
  expected<field_location> locate(std::string_view field_name, dtype want) const;

  /// Finds field `field_name` whatever its dtype.
  expected<field_location> locate(std::string_view field_name) const;

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("name", x.name), named("version", x.version), named("fields", x.fields));
  }

  friend bool operator==(const frame_schema&, const frame_schema&) = default;
};

/// A frame schema of one field "data" holding `bytes` raw bytes (u8), the
/// schema of the raw frame tools.
frame_schema raw_bytes_schema(uint64_t bytes, std::string name = "dxhub.raw");

} // namespace dxhub
