#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/schema_of.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dxhub {

/// Small user metadata of a frame: text key/value pairs ("exposure_ms" = "12.5")
/// in a fixed 256-byte buffer, so that a frame header stays trivially copyable
/// and lives in shared memory as it is. Keys are 1..63 bytes, values up to 255,
/// neither may contain a NUL byte.
class metadata {
public:
  static constexpr std::size_t capacity = 256;

  /// Sets `key` to `value`, replacing an earlier value; fails with
  /// `invalid_argument` for a bad key or value and `frame_too_large` when full.
  expected<void> set(std::string_view key, std::string_view value);

  /// The value of `key`, if present.
  std::optional<std::string_view> get(std::string_view key) const noexcept;

  /// Removes `key`; returns whether it was present.
  bool erase(std::string_view key) noexcept;

  /// All pairs, in insertion order.
  std::vector<std::pair<std::string, std::string>> entries() const;

  std::size_t size() const noexcept;
  bool empty() const noexcept { return used_ == 0; }
  std::size_t bytes_used() const noexcept { return used_; }
  void clear() noexcept { used_ = 0; }

  friend bool operator==(const metadata& x, const metadata& y) noexcept {
    return x.used_ == y.used_
           && std::equal(x.bytes_.begin(), x.bytes_.begin() + x.used_, y.bytes_.begin());
  }

  /// CAF 0.17 inspection: the used bytes as a string.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, metadata& x) {
    std::string raw{x.bytes_.data(), x.used_};
    if constexpr (Inspector::reads_state) {
      return f(raw);
    } else {
      auto result = f(raw);
      // CAF messages are produced by our own code; a corrupt one reads as empty.
      if (!x.assign_raw(raw))
        x.clear();
      return result;
    }
  }

  /// The encoded form ("key\0value\0" repeated); `assign_raw` validates it.
  std::string_view raw() const noexcept { return {bytes_.data(), used_}; }
  expected<void> assign_raw(std::string_view raw);

private:
  template <class F>
  void for_each(F&& f) const noexcept;

  uint16_t used_ = 0;
  std::array<char, capacity> bytes_{};
};

inline std::string schema_token(type_tag<metadata>) {
  return "metadata";
}

} // namespace dxhub
