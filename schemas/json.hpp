#pragma once

// The JSON encoding of the schema types, as clients in other languages read
// and write it (see docs/protocol.md): one JSON object per message, fields by
// name, enums by name, JSON arguments embedded as JSON, 64-bit hashes as hex
// strings. Missing fields take their defaults; unknown fields are ignored.

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/json_text.hpp"
#include "dxhub/schemas/metadata.hpp"
#include "dxhub/schemas/packed_value.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/schemas/schema_id.hpp"
#include "dxhub/schemas/shape.hpp"

#include <nlohmann/json.hpp>

#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dxhub {

/// Deepest nesting accepted from untrusted JSON.
inline constexpr int max_json_depth = 64;

/// Parses untrusted JSON text: bounded nesting, errors as values.
expected<nlohmann::json> parse_json(std::string_view text);

void to_json(nlohmann::json& j, const json_text& x);
void from_json(const nlohmann::json& j, json_text& x);
void to_json(nlohmann::json& j, const metadata& x);
void from_json(const nlohmann::json& j, metadata& x);
/// null when empty, else {"schema": ..., "base64": "..."}.
void to_json(nlohmann::json& j, const packed_value& x);
void from_json(const nlohmann::json& j, packed_value& x);
void to_json(nlohmann::json& j, const shape& x);
void from_json(const nlohmann::json& j, shape& x);
void to_json(nlohmann::json& j, const schema_id& x);
void from_json(const nlohmann::json& j, schema_id& x);
void to_json(nlohmann::json& j, dtype x);
void from_json(const nlohmann::json& j, dtype& x);
void to_json(nlohmann::json& j, errc x);
void from_json(const nlohmann::json& j, errc& x);
void to_json(nlohmann::json& j, entry_kind x);
void from_json(const nlohmann::json& j, entry_kind& x);

namespace detail {

/// Reads an integer without nlohmann's silent wrap-around and truncation.
template <class V>
void read_integral(const nlohmann::json& j, V& out) {
  if (j.is_number_unsigned()) {
    auto v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<V>::max()))
      throw std::out_of_range(std::to_string(v) + " is out of range");
    out = static_cast<V>(v);
  } else if (j.is_number_integer()) {
    auto v = j.get<int64_t>();
    if (v < static_cast<int64_t>(std::numeric_limits<V>::min())
        || (v > 0
            && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<V>::max())))
      throw std::out_of_range(std::to_string(v) + " is out of range");
    out = static_cast<V>(v);
  } else {
    throw std::invalid_argument(std::string{"expected an integer, got "} + j.type_name());
  }
}

template <class V>
void read_value(const nlohmann::json& j, V& out) {
  if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>)
    read_integral(j, out);
  else
    j.get_to(out);
}

} // namespace detail

/// JSON for every described type: an object with one member per field.
template <described T>
void to_json(nlohmann::json& j, const T& x) {
  j = nlohmann::json::object();
  visit_fields(x, [&j](auto... field) { ((j[field.name] = field.value), ...); });
}

/// Reads the members that are present; a member of the wrong type is an
/// error naming the field.
template <described T>
void from_json(const nlohmann::json& j, T& x) {
  if (!j.is_object())
    throw std::invalid_argument(std::string{T::schema_name} + " must be a JSON object");
  visit_fields(x, [&j](auto... field) {
    auto read = [&j](auto& f) {
      auto it = j.find(f.name);
      if (it == j.end() || it->is_null())
        return;
      try {
        detail::read_value(*it, f.value);
      } catch (const std::exception& e) {
        throw std::invalid_argument(std::string{"field '"} + f.name + "': " + e.what());
      }
    };
    (read(field), ...);
  });
}

/// Encodes `value` as JSON text.
template <described T>
std::string encode_json(const T& value) {
  return nlohmann::json(value).dump();
}

/// Decodes JSON text into `T`; every failure is `errc::bad_encoding`.
template <described T>
expected<T> decode_json(std::string_view text) {
  DXHUB_TRY(doc, parse_json(text));
  T value{};
  try {
    from_json(doc, value);
  } catch (const std::exception& e) {
    return error{errc::bad_encoding, std::string{"JSON "} + T::schema_name + ": " + e.what()};
  }
  return value;
}

} // namespace dxhub

// Described types declared outside namespace dxhub (user code, other layers)
// are not found by argument-dependent lookup; this makes nlohmann use the
// generic functions above for every described type.
template <dxhub::described T>
struct nlohmann::adl_serializer<T, void> {
  static void to_json(nlohmann::json& j, const T& x) { dxhub::to_json(j, x); }
  static void from_json(const nlohmann::json& j, T& x) { dxhub::from_json(j, x); }
};
