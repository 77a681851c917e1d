#include "dxhub/transports/shm/process_identity.hpp"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <unistd.h>

namespace dxhub::shm {

namespace {

constexpr int pid_bits = 22;
constexpr int start_bits = 64 - pid_bits;
constexpr uint64_t start_mask = (uint64_t{1} << start_bits) - 1;

// Field 22 of /proc/<pid>/stat; nullopt when the process is gone or a zombie.
std::optional<uint64_t> proc_start_time(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  auto* file = std::fopen(path, "re");
  if (file == nullptr)
    return std::nullopt;
  char buf[1024];
  auto n = std::fread(buf, 1, sizeof buf - 1, file);
  std::fclose(file);
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  auto* close = std::strrchr(buf, ')');
  if (close == nullptr || close[1] == '\0')
    return std::nullopt;
  char state = close[2];
  if (state == 'Z' || state == 'X' || state == 'x')
    return std::nullopt;
  // Fields 3.. follow; field 22 is the 20th after the ')'.
  char* p = close + 2;
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr)
      return std::nullopt;
    ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

struct source_holder {
  std::mutex mtx;
  start_time_source source;
};

source_holder& holder() {
  static auto* instance = new source_holder;
  return *instance;
}

std::optional<uint64_t> start_time_of(pid_t pid) {
  start_time_source source;
  {
    std::lock_guard<std::mutex> guard{holder().mtx};
    source = holder().source;
  }
  return source ? source(pid) : proc_start_time(pid);
}

} // namespace

process_identity process_identity::current() {
  static thread_local pid_t cached_pid = 0;
  static thread_local uint64_t cached_start = 0;
  pid_t self = getpid();
  if (self != cached_pid) {
    cached_start = proc_start_time(self).value_or(0);
    cached_pid = self;
  }
  return {self, cached_start};
}

uint64_t process_identity::pack() const noexcept {
  if (pid == 0)
    return 0;
  return (static_cast<uint64_t>(pid) << start_bits) | (start_time & start_mask);
}

process_identity process_identity::unpack(uint64_t word) noexcept {
  return {static_cast<pid_t>(word >> start_bits), word & start_mask};
}

expected<process_identity> read_process_identity(pid_t pid) {
  auto start = proc_start_time(pid);
  if (!start)
    return error{errc::peer_down, "no live process " + std::to_string(pid)};
  return process_identity{pid, *start};
}

void set_start_time_source(start_time_source source) {
  std::lock_guard<std::mutex> guard{holder().mtx};
  holder().source = std::move(source);
}

bool is_alive(const process_identity& who) {
  if (who.pid <= 0)
    return false;
  auto start = start_time_of(who.pid);
  return start && (*start & start_mask) == (who.start_time & start_mask);
}

bool is_alive_packed(uint64_t word) {
  return word != 0 && is_alive(process_identity::unpack(word));
}

} // namespace dxhub::shm
