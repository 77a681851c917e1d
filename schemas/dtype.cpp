#include "dxhub/schemas/dtype.hpp"

#include <array>

namespace dxhub {

namespace {

constexpr std::array<std::string_view, dtype_count> dtype_names{
    "bool", "i8",  "i16",  "i32", "i64", "u8",        "u16",        "u32",
    "u64",  "f16", "bf16", "f32", "f64", "complex64", "complex128",
};

} // namespace

std::string_view name(dtype t) noexcept {
  auto index = static_cast<uint8_t>(t);
  return index < dtype_count ? dtype_names[index] : "invalid";
}

std::string to_string(dtype t) {
  return std::string{name(t)};
}

std::optional<dtype> parse_dtype(std::string_view text) noexcept {
  for (uint8_t i = 0; i < dtype_count; ++i)
    if (dtype_names[i] == text)
      return static_cast<dtype>(i);
  return std::nullopt;
}

} // namespace dxhub
