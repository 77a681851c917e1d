#pragma once

// Reading one member of a JSON object that came from outside (actor
// parameters, other processes' events) without nlohmann's silent
// conversions: 1e300 cast to an integer is undefined behaviour.

#include "dxhub/schemas/json.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace dxhub {

/// Member `key` of `j` as a V, or `fallback` when `j` has no such member or
/// it is null. An integer is read with `detail::read_integral` (a float, a
/// negative where unsigned, or a value out of range is refused rather than
/// converted); other types as nlohmann reads them. A refused value throws
/// std::invalid_argument naming the key.
template <class V>
V member_or(const nlohmann::json& j, const std::string& key, V fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return fallback;
  try {
    V v{};
    detail::read_value(*it, v);
    return v;
  } catch (const std::exception& e) {
    throw std::invalid_argument(key + ": " + e.what());
  }
}

} // namespace dxhub
