#pragma once

// What a thread of this process is doing, read from /proc: tests that must
// act while another thread blocks in (or spins in) a call wait for that
// state instead of sleeping a while.

#include <sys/types.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace dxhub::test {

/// The fields of /proc/self/task/<tid>/stat after the thread's name: [0] is
/// its state ('R' running, 'S' sleeping, ...), [11] and [12] its user and
/// system CPU time in clock ticks. Empty when the thread is gone.
inline std::vector<std::string> thread_stat(pid_t tid) {
  std::ifstream in{"/proc/self/task/" + std::to_string(tid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  std::vector<std::string> fields;
  auto close = text.rfind(')'); // the name may hold spaces and parentheses
  if (close == std::string::npos)
    return fields;
  std::istringstream rest{text.substr(close + 2)};
  for (std::string field; rest >> field;)
    fields.push_back(field);
  return fields;
}

/// True when thread `tid` sleeps (blocked in a wait, a futex, a read...).
inline bool thread_asleep(pid_t tid) {
  auto stat = thread_stat(tid);
  return !stat.empty() && stat[0] == "S";
}

/// The CPU time thread `tid` has used, in clock ticks (0 when it is gone).
inline long thread_cpu_ticks(pid_t tid) {
  auto stat = thread_stat(tid);
  return stat.size() > 12 ? std::stol(stat[11]) + std::stol(stat[12]) : 0;
}

} // namespace dxhub::test
