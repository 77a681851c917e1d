#include "dxhub/schemas/metadata.hpp"

#include <algorithm>
#include <cstring>

namespace dxhub {

namespace {

constexpr std::size_t max_key = 63;
constexpr std::size_t max_value = 255;

bool has_nul(std::string_view text) noexcept {
  return text.find('\0') != std::string_view::npos;
}

} // namespace

template <class F>
void metadata::for_each(F&& f) const noexcept {
  // Bounded scans: a header mapped from shared memory is read defensively.
  std::string_view all{bytes_.data(), std::min<std::size_t>(used_, capacity)};
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto key_end = all.find('\0', pos);
    if (key_end == std::string_view::npos)
      return;
    auto value_end = all.find('\0', key_end + 1);
    if (value_end == std::string_view::npos)
      return;
    if (!f(all.substr(pos, key_end - pos), all.substr(key_end + 1, value_end - key_end - 1), pos,
           value_end + 1))
      return;
    pos = value_end + 1;
  }
}

expected<void> metadata::set(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > max_key || has_nul(key))
    return error{errc::invalid_argument, "metadata key must be 1..63 bytes without NUL"};
  if (value.size() > max_value || has_nul(value))
    return error{errc::invalid_argument, "metadata value must be at most 255 bytes without NUL"};
  erase(key);
  std::size_t need = key.size() + value.size() + 2;
  if (used_ + need > capacity)
    return error{errc::frame_too_large,
                 "metadata holds at most 256 bytes; '" + std::string{key} + "' does not fit"};
  char* out = bytes_.data() + used_;
  std::memcpy(out, key.data(), key.size());
  out[key.size()] = '\0';
  std::memcpy(out + key.size() + 1, value.data(), value.size());
  out[key.size() + 1 + value.size()] = '\0';
  used_ = static_cast<uint16_t>(used_ + need);
  return ok();
}

std::optional<std::string_view> metadata::get(std::string_view key) const noexcept {
  std::optional<std::string_view> result;
  for_each([&](std::string_view k, std::string_view v, std::size_t, std::size_t) {
    if (k == key)
      result = v;
    return !result;
  });
  return result;
}

bool metadata::erase(std::string_view key) noexcept {
  std::size_t begin = 0;
  std::size_t end = 0;
  for_each([&](std::string_view k, std::string_view, std::size_t pos, std::size_t next) {
    if (k != key)
      return true;
    begin = pos;
    end = next;
    return false;
  });
  if (end == 0)
    return false;
  std::copy(bytes_.begin() + end, bytes_.begin() + used_, bytes_.begin() + begin);
  used_ = static_cast<uint16_t>(used_ - (end - begin));
  return true;
}

std::vector<std::pair<std::string, std::string>> metadata::entries() const {
  std::vector<std::pair<std::string, std::string>> result;
  for_each([&](std::string_view k, std::string_view v, std::size_t, std::size_t) {
    result.emplace_back(k, v);
    return true;
  });
  return result;
}

std::size_t metadata::size() const noexcept {
  std::size_t n = 0;
  for_each([&](std::string_view, std::string_view, std::size_t, std::size_t) {
    ++n;
    return true;
  });
  return n;
}

expected<void> metadata::assign_raw(std::string_view raw) {
  // Validate the encoding of untrusted input by rebuilding it pair by pair.
  metadata rebuilt;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto key_end = raw.find('\0', pos);
    if (key_end == std::string_view::npos)
      return error{errc::bad_encoding, "metadata: key without terminator"};
    auto value_end = raw.find('\0', key_end + 1);
    if (value_end == std::string_view::npos)
      return error{errc::bad_encoding, "metadata: value without terminator"};
    DXHUB_TRYV(rebuilt.set(raw.substr(pos, key_end - pos),
                           raw.substr(key_end + 1, value_end - key_end - 1)));
    pos = value_end + 1;
  }
  *this = rebuilt;
  return ok();
}

} // namespace dxhub
