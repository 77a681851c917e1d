#include "raw_frame.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace dxhub::cli {

namespace {

uint64_t load_u64(const std::byte* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void store_u64(std::byte* p, uint64_t v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

uint64_t xorshift(uint64_t& s) noexcept {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

void fill_pattern(std::span<std::byte> body, uint64_t index, raw_pattern pattern) {
  switch (pattern) {
    case raw_pattern::zeros:
      std::memset(body.data(), 0, body.size());
      return;
    case raw_pattern::counter: {
      // The counter word repeats every 256 bytes: build one period, copy it.
      std::byte period[256];
      for (std::size_t i = 0; i < 256; ++i)
        period[i] = static_cast<std::byte>(index + raw_frame_prefix + i);
      for (std::size_t i = 0; i < body.size(); i += 256)
        std::memcpy(body.data() + i, period, std::min<std::size_t>(256, body.size() - i));
      return;
    }
    case raw_pattern::random: {
      uint64_t s = index * 0x9e3779b97f4a7c15ULL + 1;
      std::size_t i = 0;
      for (; i + 8 <= body.size(); i += 8)
        store_u64(body.data() + i, xorshift(s));
      for (; i < body.size(); ++i)
        body[i] = static_cast<std::byte>(xorshift(s));
      return;
    }
  }
}

} // namespace

std::optional<raw_pattern> parse_raw_pattern(std::string_view text) {
  if (text == "counter")
    return raw_pattern::counter;
  if (text == "zeros")
    return raw_pattern::zeros;
  if (text == "random")
    return raw_pattern::random;
  return std::nullopt;
}

uint64_t raw_checksum(std::span<const std::byte> bytes) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8)
    h = (h ^ load_u64(bytes.data() + i)) * 0x100000001b3ULL;
  for (; i < bytes.size(); ++i)
    h = (h ^ static_cast<uint8_t>(bytes[i])) * 0x100000001b3ULL;
  return h ^ (h >> 29);
}

void fill_raw_frame(std::span<std::byte> payload, uint64_t index, raw_pattern pattern,
                    bool checksum) {
  auto body = payload.subspan(raw_frame_prefix);
  fill_pattern(body, index, pattern);
  store_u64(payload.data(), index);
  store_u64(payload.data() + 8, checksum ? raw_checksum(body) : 0);
}

raw_frame_check check_raw_frame(std::span<const std::byte> payload, raw_pattern pattern,
                                bool verify, bool checksum) {
  raw_frame_check c;
  if (payload.size() < raw_frame_prefix) {
    c.pattern_failed = verify;
    c.checksum_failed = checksum;
    return c;
  }
  c.index = load_u64(payload.data());
  auto body = payload.subspan(raw_frame_prefix);
  if (checksum)
    c.checksum_failed = raw_checksum(body) != load_u64(payload.data() + 8);
  if (verify) {
    thread_local std::vector<std::byte> expected;
    expected.resize(body.size());
    fill_pattern(expected, c.index, pattern);
    c.pattern_failed = std::memcmp(expected.data(), body.data(), body.size()) != 0;
  }
  return c;
}

} // namespace dxhub::cli
