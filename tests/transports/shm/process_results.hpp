#pragma once

// Reading the "result k=v ..." lines that shm_peer prints.

#include "dxhub/tests/support/child_process.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <string>

namespace dxhub::shm::tests {

using fields = std::map<std::string, long long>;

/// Parses "word k=v k=v"; "free=5/32" gives free=5 and free_of=32.
inline fields parse_fields(const std::string& line) {
  fields out;
  std::istringstream in{line};
  std::string token;
  while (in >> token) {
    auto eq = token.find('=');
    if (eq == std::string::npos)
      continue;
    auto key = token.substr(0, eq);
    auto value = token.substr(eq + 1);
    auto slash = value.find('/');
    if (slash != std::string::npos) {
      out[key + "_of"] = std::stoll(value.substr(slash + 1));
      value = value.substr(0, slash);
    }
    out[key] = std::stoll(value);
  }
  return out;
}

/// Reads lines until one starts with `word`; nullopt on timeout or EOF.
inline std::optional<std::string> wait_for_line(dxhub::test::child_process& child,
                                                const std::string& word,
                                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto line = child.read_line(left);
    if (!line)
      return std::nullopt;
    if (line->rfind(word, 0) == 0)
      return line;
  }
}

inline std::string peer_program() {
  return dxhub::test::built_program("tests/transports/shm/shm_peer");
}

} // namespace dxhub::shm::tests
