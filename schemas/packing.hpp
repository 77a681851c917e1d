#pragma once

// Packing typed values for calls between C++ nodes (see packed_value.hpp),
// and reading a packed value as JSON where its type is known.

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/packed_value.hpp"
#include "dxhub/schemas/schema_id.hpp"
#include "dxhub/schemas/schema_of.hpp"
#include "dxhub/schemas/serialization.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace dxhub {

namespace detail {

using packed_reader = expected<nlohmann::json> (*)(std::string_view bytes);

/// Makes packed values of `schema` readable as JSON in this process.
void know_packed_type(const schema_id& schema, packed_reader read);

template <described T>
expected<nlohmann::json> read_packed_as_json(std::string_view bytes) {
  DXHUB_TRY(value, decode_binary<T>(bytes));
  return nlohmann::json(value);
}

/// Every type that this program packs or unpacks anywhere is known from its
/// start (a dynamic initializer), so that the audit trail can show it as JSON.
template <described T>
inline const bool packed_type_known = (know_packed_type(schema_of<T>(), &read_packed_as_json<T>),
                                       true);

} // namespace detail

/// `value` in cereal portable binary, with its schema.
template <described T>
packed_value pack(const T& value) {
  (void)detail::packed_type_known<T>;
  return {schema_of<T>(), encode_binary(value)};
}

/// The value packed in `packed`; a packed value of another type is refused
/// with an error naming both schemas.
template <described T>
expected<T> unpack(const packed_value& packed) {
  (void)detail::packed_type_known<T>;
  DXHUB_TRYV(require_same_schema(schema_of<T>(), packed.schema, "reader", "packed value"));
  return decode_binary<T>(packed.bytes);
}

/// The JSON form of `packed`, for readers that do not know its type at
/// compile time (the audit trail, untyped handlers). `errc::schema_mismatch`
/// naming the schema when no code of this program packs or unpacks that type.
expected<nlohmann::json> packed_as_json(const packed_value& packed);

} // namespace dxhub
