#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/json_text.hpp"
#include "dxhub/schemas/packed_value.hpp"

#include <cstdint>
#include <string>

namespace dxhub {

/// The answer to a command: a result, or an error code with its context.
struct reply {
  static constexpr const char* schema_name = "dxhub.reply";
  static constexpr uint32_t schema_version = 2;

  /// The `command::id` this answers.
  uint64_t id = 0;
  /// `errc::none` on success.
  errc code = errc::none;
  /// What went wrong, for humans; empty on success.
  std::string error_context;
  /// The result, a JSON value; null when it travels in `packed_result`.
  json_text result;
  /// Time the service spent on the command, in ns.
  int64_t service_ns = 0;
  /// The result for a caller that sent packed arguments, when its type is a
  /// described one; empty otherwise.
  packed_value packed_result;

  bool ok() const noexcept { return code == errc::none; }

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("id", x.id), named("code", x.code), named("error_context", x.error_context),
             named("result", x.result), named("service_ns", x.service_ns),
             named("packed_result", x.packed_result));
  }

  friend bool operator==(const reply&, const reply&) = default;
};

inline std::string schema_token(type_tag<errc>) {
  return "errc";
}

/// For CAF's and other generic renderers.
inline std::string to_string(errc code) {
  return std::string{name(code)};
}

} // namespace dxhub
