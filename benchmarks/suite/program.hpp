#pragma once

// Finding and running one benchmark program: bounded in time, its stdout
// read line by line, everything it prints kept in a log file.

#include "dxhub/schemas/expected.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::bench::suite {

/// `dir/name` if it is an executable file, else the first one found in the
/// subfolders of `dir` (a build tree keeps each program in its own folder).
std::optional<std::filesystem::path> find_program(const std::filesystem::path& dir,
                                                  const std::string& name);

/// What a finished program printed and how it ended.
struct program_output {
  int exit_code = 0; // -signal when a signal ended it
  bool timed_out = false;
  long peak_rss_kib = 0;          // the largest resident set of the program and its children
  std::vector<std::string> lines; // stdout
};

/// Runs `program args...` in its own process group, stdout captured and
/// copied with stderr to `log`; the group is killed after `timeout`.
expected<program_output> run_program(const std::filesystem::path& program,
                                     const std::vector<std::string>& args,
                                     std::chrono::seconds timeout,
                                     const std::filesystem::path& log);

} // namespace dxhub::bench::suite
