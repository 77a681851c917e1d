#pragma once

#include "dxhub/schemas/schema_id.hpp"
#include "dxhub/schemas/schema_of.hpp"

#include <string>

namespace dxhub {

/// A value of a described type in cereal portable binary, with its schema:
/// how typed C++ callers and services exchange command arguments and results.
/// Reading a packed 4 KiB argument is a copy; reading it as JSON is a pass of
/// the JSON lexer over every byte, and a call used to pay four of them
/// (docs/runtime.md, "Typed arguments"). Clients in other languages never see
/// one: they send JSON and are answered in JSON.
struct packed_value {
  /// The type of `bytes`; an empty name means "no packed value".
  schema_id schema;
  std::string bytes;

  bool empty() const noexcept { return schema.name.empty(); }

  friend bool operator==(const packed_value&, const packed_value&) = default;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, packed_value& x) {
    return f(x.schema, x.bytes);
  }
};

inline std::string schema_token(type_tag<packed_value>) {
  return "packed";
}

} // namespace dxhub
