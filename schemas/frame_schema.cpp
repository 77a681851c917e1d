#include "dxhub/schemas/frame_schema.hpp"

#include <set>

namespace dxhub {

namespace {

constexpr uint64_t align_up(uint64_t n, uint64_t a) noexcept {
  return (n + a - 1) / a * a;
}

constexpr uint64_t max_payload = uint64_t{1} << 40; // 1 TiB: beyond any frame

} // namespace

expected<uint64_t> field::size_bytes() const {
  uint64_t n = size_of(type);
  for (auto extent : dims.extents()) {
    if (extent != 0 && n > max_payload / extent)
      return error{errc::frame_too_large,
                   "field '" + name + "' " + to_string(dims) + " exceeds 1 TiB"};
    n *= extent;
  }
  return n;
}

schema_id frame_schema::id() const {
  std::string canonical;
  for (const auto& f : fields) {
    canonical += f.name;
    canonical += ':';
    canonical += dxhub::name(f.type);
    canonical += to_string(f.dims);
    canonical += ';';
  }
  return {name, version, fnv1a(canonical)};
}

expected<void> frame_schema::validate() const {
  if (name.empty() || name.size() > 63)
    return error{errc::invalid_name, "frame schema name must be 1..63 bytes"};
  if (fields.empty())
    return error{errc::invalid_argument, "frame schema '" + name + "' has no fields"};
  if (fields.size() > max_fields)
    return error{errc::invalid_argument, "frame schema '" + name + "' has "
                                             + std::to_string(fields.size())
                                             + " fields, at most 32 are allowed"};
  std::set<std::string_view> seen;
  for (const auto& f : fields) {
    if (f.name.empty() || f.name.size() > 63)
      return error{errc::invalid_name, "field name must be 1..63 bytes in '" + name + "'"};
    if (!seen.insert(f.name).second)
      return error{errc::invalid_name, "field '" + f.name + "' appears twice in '" + name + "'"};
    if (static_cast<uint8_t>(f.type) >= dtype_count)
      return error{errc::invalid_argument, "field '" + f.name + "' has an invalid dtype"};
  }
  DXHUB_TRYV(payload_size());
  return ok();
}

expected<uint64_t> frame_schema::payload_size() const {
  uint64_t total = 0;
  for (const auto& f : fields) {
    DXHUB_TRY(bytes, f.size_bytes());
    total = align_up(total, field_alignment) + bytes;
    if (total > max_payload)
      return error{errc::frame_too_large, "frame schema '" + name + "' exceeds 1 TiB"};
  }
  return total;
}

expected<field_location> frame_schema::locate(std::string_view field_name) const {
  uint64_t offset = 0;
  for (const auto& f : fields) {
    DXHUB_TRY(bytes, f.size_bytes());
    offset = align_up(offset, field_alignment);
    if (f.name == field_name)
      return field_location{offset, bytes, f.dims};
    offset += bytes;
  }
  return error{errc::invalid_argument,
               "frame schema '" + name + "' has no field '" + std::string{field_name} + "'"};
}

expected<field_location> frame_schema::locate(std::string_view field_name, dtype want) const {
  for (const auto& f : fields)
    if (f.name == field_name && f.type != want)
      return error{errc::schema_mismatch, "field '" + f.name + "' of '" + name + "' is "
                                              + to_string(f.type) + ", caller reads "
                                              + to_string(want)};
  return locate(field_name);
}

frame_schema raw_bytes_schema(uint64_t bytes, std::string name) {
  return frame_schema{std::move(name), 1, {field{"data", dtype::u8, shape{bytes}}}};
}

} // namespace dxhub
