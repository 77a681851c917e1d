#pragma once

#include "dxhub/schemas/expected.hpp"

#include <cstddef>
#include <string_view>

namespace dxhub {

/// The longest channel, service or node name.
inline constexpr std::size_t max_name_length = 200;

/// Checks a channel, service or node name: path segments of letters, digits,
/// '_' and '-', separated by single '/', at most 200 bytes ("lab/cam0/raw").
/// No '.', no empty segment, no leading or trailing '/': a name maps to a file
/// name or a topic without escaping and without path tricks. `what` names the
/// kind in the error ("channel", "service").
expected<void> validate_name(std::string_view name, std::string_view what);

/// True when `name` starts with the path prefix `prefix` ("lab" covers
/// "lab/cam0" but not "laboratory"); an empty prefix covers everything.
bool name_has_prefix(std::string_view name, std::string_view prefix) noexcept;

} // namespace dxhub
