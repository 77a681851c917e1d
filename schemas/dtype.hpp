#pragma once

#include "dxhub/schemas/schema_of.hpp"

#include <complex>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dxhub {

/// The element type of a frame field.
enum class dtype : uint8_t {
  boolean,
  i8,
  i16,
  i32,
  i64,
  u8,
  u16,
  u32,
  u64,
  f16,
  bf16,
  f32,
  f64,
  complex64,
  complex128,
};

inline constexpr uint8_t dtype_count = static_cast<uint8_t>(dtype::complex128) + 1;

/// IEEE 754 half precision, stored as its bits (no arithmetic in C++20).
struct f16 {
  uint16_t bits = 0;
  friend bool operator==(f16, f16) = default;
};

/// bfloat16, stored as its bits.
struct bf16 {
  uint16_t bits = 0;
  friend bool operator==(bf16, bf16) = default;
};

/// The size of one element in bytes.
constexpr std::size_t size_of(dtype t) noexcept {
  switch (t) {
    case dtype::boolean:
    case dtype::i8:
    case dtype::u8:
      return 1;
    case dtype::i16:
    case dtype::u16:
    case dtype::f16:
    case dtype::bf16:
      return 2;
    case dtype::i32:
    case dtype::u32:
    case dtype::f32:
      return 4;
    case dtype::i64:
    case dtype::u64:
    case dtype::f64:
    case dtype::complex64:
      return 8;
    case dtype::complex128:
      return 16;
  }
  return 0;
}

/// The name of `t` as numpy writes it where possible: "u8", "f32", "complex64", "bool".
std::string_view name(dtype t) noexcept;

/// For CAF's and other generic renderers.
std::string to_string(dtype t);

/// Parses a name produced by `name(dtype)`.
std::optional<dtype> parse_dtype(std::string_view text) noexcept;

/// The dtype of a C++ element type; undefined for other types.
template <class T>
inline constexpr dtype dtype_of = [] {
  static_assert(sizeof(T) == 0, "no dtype for this C++ type");
  return dtype::u8;
}();

// clang-format off
template <> inline constexpr dtype dtype_of<bool> = dtype::boolean;
template <> inline constexpr dtype dtype_of<int8_t> = dtype::i8;
template <> inline constexpr dtype dtype_of<int16_t> = dtype::i16;
template <> inline constexpr dtype dtype_of<int32_t> = dtype::i32;
template <> inline constexpr dtype dtype_of<int64_t> = dtype::i64;
template <> inline constexpr dtype dtype_of<uint8_t> = dtype::u8;
template <> inline constexpr dtype dtype_of<uint16_t> = dtype::u16;
template <> inline constexpr dtype dtype_of<uint32_t> = dtype::u32;
template <> inline constexpr dtype dtype_of<uint64_t> = dtype::u64;
template <> inline constexpr dtype dtype_of<f16> = dtype::f16;
template <> inline constexpr dtype dtype_of<bf16> = dtype::bf16;
template <> inline constexpr dtype dtype_of<float> = dtype::f32;
template <> inline constexpr dtype dtype_of<double> = dtype::f64;
template <> inline constexpr dtype dtype_of<std::complex<float>> = dtype::complex64;
template <> inline constexpr dtype dtype_of<std::complex<double>> = dtype::complex128;
// clang-format on

inline std::string schema_token(type_tag<dtype>) {
  return "dtype";
}

} // namespace dxhub
