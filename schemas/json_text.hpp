#pragma once

#include "dxhub/schemas/schema_of.hpp"

#include <string>

namespace dxhub {

/// A JSON document carried as text (command arguments, replies, event data).
/// Binary encodings carry the text; the JSON encoding embeds the document
/// itself, so that a client in any language reads and writes plain JSON.
struct json_text {
  std::string text = "null";

  friend bool operator==(const json_text&, const json_text&) = default;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, json_text& x) {
    return f(x.text);
  }
};

inline std::string schema_token(type_tag<json_text>) {
  return "json";
}

} // namespace dxhub
