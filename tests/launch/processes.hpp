#pragma once

// What the launcher suites look at from outside: whether a process still
// runs, the children of a process and the deployment's shared-memory
// segments, all read from /proc and /dev/shm.

#include "dxhub/tests/support/wait.hpp"

#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dxhub::test {

/// False once `pid` is gone or a zombie (an orphan adopted by the test is
/// reaped on the way).
inline bool alive(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  if (!std::getline(stat, text))
    return false;
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size())
    return false;
  char state = text[close + 2];
  if (state == 'Z' || state == 'X') {
    ::waitpid(pid, nullptr, WNOHANG);
    return false;
  }
  return true;
}

/// True when none of `pids` runs any more within `limit`.
inline bool all_gone_within(const std::vector<pid_t>& pids, std::chrono::milliseconds limit) {
  return wait_until(
      [&] {
        bool any = false;
        for (auto pid : pids)
          any = any || alive(pid);
        return !any;
      },
      limit);
}

/// The names in /dev/shm that start with `prefix`.
inline std::vector<std::string> segments(const std::string& prefix) {
  std::vector<std::string> out;
  for (auto& entry : std::filesystem::directory_iterator{"/dev/shm"}) {
    auto name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0)
      out.push_back(name);
  }
  return out;
}

/// The direct children of `pid`.
inline std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"};
  std::vector<pid_t> kids;
  for (pid_t k; in >> k;)
    kids.push_back(k);
  return kids;
}

/// The command line of `pid`, one element per argument.
inline std::vector<std::string> command_line(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/cmdline"};
  std::vector<std::string> argv;
  for (std::string arg; std::getline(in, arg, '\0');)
    argv.push_back(arg);
  return argv;
}

} // namespace dxhub::test
