#pragma once

// The payload of the raw frame tools (`dxhub write`, `read`, `relay`): the
// first 16 bytes hold the frame index and a checksum of the rest; the rest is
// a pattern derived from the index, so that a reader can check every byte.
//
//   bytes 0..7   u64 frame index (as written by `dxhub write`)
//   bytes 8..15  u64 checksum of bytes 16.. (0 when written without --checksum)
//   bytes 16..   pattern: "counter" byte i = (index + i) mod 256,
//                "zeros", or "random" (xorshift seeded with the index)

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dxhub::cli {

inline constexpr std::size_t raw_frame_prefix = 16;

enum class raw_pattern { counter, zeros, random };

std::optional<raw_pattern> parse_raw_pattern(std::string_view text);

/// A 64-bit checksum of `bytes`, eight bytes at a time (fast enough for GB/s).
uint64_t raw_checksum(std::span<const std::byte> bytes) noexcept;

/// Fills `payload` (at least `raw_frame_prefix` bytes) for frame `index`.
void fill_raw_frame(std::span<std::byte> payload, uint64_t index, raw_pattern pattern,
                    bool checksum);

/// What a reader found wrong with a frame; empty when it is whole.
struct raw_frame_check {
  uint64_t index = 0;
  bool checksum_failed = false;
  bool pattern_failed = false;
};

/// Checks a frame; `verify` compares every byte with the pattern, `checksum`
/// recomputes the checksum.
raw_frame_check check_raw_frame(std::span<const std::byte> payload, raw_pattern pattern,
                                bool verify, bool checksum);

} // namespace dxhub::cli
