#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dxhub::test {

/// Every line of a text file (none when it cannot be read).
inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in{file};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

} // namespace dxhub::test
