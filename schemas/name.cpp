#include "dxhub/schemas/name.hpp"

#include <string>

namespace dxhub {

namespace {

bool segment_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-';
}

} // namespace

expected<void> validate_name(std::string_view name, std::string_view what) {
  auto fail = [&](std::string reason) -> expected<void> {
    std::string shown{name.substr(0, 64)};
    return error{errc::invalid_name, std::string{what} + " name '" + shown + "' " + reason};
  };
  if (name.empty())
    return fail("is empty");
  if (name.size() > max_name_length)
    return fail("is longer than 200 bytes");
  bool segment_start = true;
  for (char c : name) {
    if (c == '/') {
      if (segment_start)
        return fail("has an empty path segment");
      segment_start = true;
    } else if (segment_char(c)) {
      segment_start = false;
    } else {
      return fail("contains '" + std::string(1, c)
                  + "'; use letters, digits, '_', '-' and '/' between segments");
    }
  }
  if (segment_start)
    return fail("ends with '/'");
  return ok();
}

bool name_has_prefix(std::string_view name, std::string_view prefix) noexcept {
  if (prefix.empty())
    return true;
  if (prefix.back() == '/')
    return name.starts_with(prefix);
  return name.starts_with(prefix) && (name.size() == prefix.size() || name[prefix.size()] == '/');
}

} // namespace dxhub
