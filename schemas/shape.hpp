#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/schema_of.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace dxhub {

/// The extents of a frame field: up to eight dimensions, row-major.
/// Trivially copyable, so it can live in shared memory as it is.
class shape {
public:
  static constexpr std::size_t max_rank = 8;

  constexpr shape() noexcept = default;

  /// A shape from literal extents; more than `max_rank` extents is a programming error.
  constexpr shape(std::initializer_list<uint64_t> extents) noexcept {
    for (auto e : extents)
      if (rank_ < max_rank)
        dims_[rank_++] = e;
  }

  /// A shape from untrusted extents: fails when there are more than `max_rank`.
  static expected<shape> from(std::span<const uint64_t> extents);

  constexpr std::size_t rank() const noexcept { return rank_; }
  constexpr uint64_t operator[](std::size_t i) const noexcept { return dims_[i]; }
  std::span<const uint64_t> extents() const noexcept { return {dims_.data(), rank_}; }

  /// The number of elements (1 for rank 0, a scalar).
  constexpr uint64_t elements() const noexcept {
    uint64_t n = 1;
    for (std::size_t i = 0; i < rank_; ++i)
      n *= dims_[i];
    return n;
  }

  friend constexpr bool operator==(const shape& x, const shape& y) noexcept {
    if (x.rank_ != y.rank_)
      return false;
    for (std::size_t i = 0; i < x.rank_; ++i)
      if (x.dims_[i] != y.dims_[i])
        return false;
    return true;
  }

  /// CAF 0.17 inspection.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, shape& x) {
    return f(x.rank_, x.dims_);
  }

private:
  uint8_t rank_ = 0;
  std::array<uint64_t, max_rank> dims_{};
};

/// "[480, 640]".
std::string to_string(const shape& s);

inline std::string schema_token(type_tag<shape>) {
  return "shape";
}

} // namespace dxhub
