#pragma once

// The files of a suite run: results.tsv (the RESULT lines of every program),
// results.csv (every figure with its program and host), results.md (tables grouped by section,
// ratios against the baselines, the key ratios, the plots) and results.json.

#include "dxhub/benchmarks/suite/suite.hpp"

#include <filesystem>
#include <string>

namespace dxhub::bench::suite {

/// Every figure as the RESULT line its program printed (results.tsv), so that
/// scripts written for one program read the whole suite.
std::string result_lines_text(const summary& s);

/// The CSV text: one line per figure, host columns repeated on every line.
std::string csv_text(const summary& s);

/// The markdown report; `plots` are the image files to link (names only).
std::string markdown_text(const summary& s, const std::vector<std::filesystem::path>& plots);

/// The JSON summary: host, programs, figures, key ratios, missing rows, files.
std::string json_text(const summary& s);

/// Writes `text` to `path`; an error names the file.
expected<void> write_text(const std::filesystem::path& path, const std::string& text);

} // namespace dxhub::bench::suite
