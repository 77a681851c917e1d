#pragma once

// The RESULT line every benchmark program prints with `--results`:
//   RESULT<TAB>section<TAB>bench<TAB>variant<TAB>size<TAB>metric<TAB>value<TAB>unit

#include "dxhub/benchmarks/support/report.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dxhub::bench::suite {

/// The figure of one RESULT line, or nullopt for any other line (or a
/// malformed one: wrong field count, a value that is not a number).
std::optional<figure> parse_result_line(std::string_view line);

/// The bytes of a size label ("64B", "4KiB", "1MiB", "8MiB", "1GiB"), or
/// nullopt for anything else ("-", "").
std::optional<uint64_t> size_bytes(std::string_view label);

/// "section bench variant size metric", the name of a row.
std::string row_key(const figure& f);

} // namespace dxhub::bench::suite
