#include "dxhub/launch/launcher_guard.hpp"

#include <sys/socket.h>
#include <sys/syscall.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace dxhub::launch {

namespace {

constexpr std::size_t max_groups = 1024;
constexpr std::size_t max_prefix = 256;
constexpr std::size_t max_path = 4096;

struct linux_dirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// Everything below runs in the forked guard, which may have been forked from
// a multi-threaded process: async-signal-safe calls only, no allocation.

void pause_ms(long ms) noexcept {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/// Unlinks the entries of directory `path` whose names start with `prefix`.
void unlink_entries(const char* path, const char* prefix) noexcept {
  int dir = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return;
  alignas(linux_dirent64) char buf[8192];
  std::size_t len = std::strlen(prefix);
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0)
      break;
    for (long at = 0; at < n;) {
      auto* entry = reinterpret_cast<linux_dirent64*>(buf + at);
      bool dots = std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0;
      if (!dots && std::strncmp(entry->d_name, prefix, len) == 0)
        ::unlinkat(dir, entry->d_name, 0);
      at += entry->d_reclen;
    }
  }
  ::close(dir);
}

void unlink_segments(const char* prefix) noexcept {
  unlink_entries("/dev/shm", prefix);
}

/// The run's socket directory: its files (sockets only), then itself.
void remove_run_dir(const char* path) noexcept {
  if (*path == '\0')
    return;
  unlink_entries(path, "");
  ::rmdir(path);
}

[[noreturn]] void guard_main(int fd, const char* prefix, const char* run_dir) noexcept {
  // Its own process group: a terminal's Ctrl-C goes to the launcher only.
  ::setpgid(0, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT})
    ::signal(sig, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Keep nothing of the launcher open: not its stdout (a reader waiting for
  // end-of-file), not the other ends of its pipes.
  fd = ::fcntl(fd, F_DUPFD, 10); // out of the way of 0..3
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
  }
  ::dup2(fd, 3);
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  std::array<int32_t, max_groups> groups{};
  std::size_t count = 0;
  char pending[sizeof(int32_t)];
  std::size_t have = 0;
  for (;;) {
    char buf[256];
    auto n = ::read(3, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    for (ssize_t i = 0; i < n; ++i) {
      pending[have++] = buf[i];
      if (have < sizeof pending)
        continue;
      have = 0;
      int32_t value;
      std::memcpy(&value, pending, sizeof value);
      if (value > 0 && count < max_groups) {
        groups[count++] = value;
      } else if (value < 0) {
        for (std::size_t g = 0; g < count; ++g)
          if (groups[g] == -value) {
            groups[g] = groups[--count];
            break;
          }
      }
    }
  }
  for (std::size_t g = 0; g < count; ++g)
    ::kill(-groups[g], SIGKILL);
  if (count > 0)
    pause_ms(100); // let the killed nodes go before their segments do
  unlink_segments(prefix);
  if (count > 0) {
    pause_ms(200);
    unlink_segments(prefix);
  }
  remove_run_dir(run_dir);
  ::_exit(0);
}

void send_value(int fd, int32_t value) noexcept {
  if (fd < 0)
    return;
  auto n = ::send(fd, &value, sizeof value, MSG_NOSIGNAL);
  static_cast<void>(n); // a guard that is gone cannot be helped
}

} // namespace

expected<launcher_guard> start_launcher_guard(const std::string& shm_prefix,
                                              const std::string& run_dir) {
  if (shm_prefix.empty() || shm_prefix.size() >= max_prefix)
    return error{errc::invalid_argument, "shared-memory prefix '" + shm_prefix
                                             + "' is empty or too long for the launcher guard"};
  if (run_dir.size() >= max_path)
    return error{errc::invalid_argument,
                 "run directory '" + run_dir + "' is too long for the launcher guard"};
  // Copied before the fork: the guard allocates nothing.
  std::array<char, max_prefix> prefix{};
  std::memcpy(prefix.data(), shm_prefix.data(), shm_prefix.size());
  std::array<char, max_path> dir{};
  std::memcpy(dir.data(), run_dir.data(), run_dir.size());
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    return last_system_error("socketpair");
  pid_t pid = ::fork();
  if (pid < 0) {
    auto err = last_system_error("fork");
    ::close(ends[0]);
    ::close(ends[1]);
    return err;
  }
  if (pid == 0) {
    ::close(ends[0]);
    guard_main(ends[1], prefix.data(), dir.data());
  }
  ::close(ends[1]);
  return launcher_guard{ends[0], pid};
}

void guard_watch(const launcher_guard& guard, pid_t pgid) noexcept {
  send_value(guard.fd, static_cast<int32_t>(pgid));
}

void guard_forget(const launcher_guard& guard, pid_t pgid) noexcept {
  send_value(guard.fd, -static_cast<int32_t>(pgid));
}

std::vector<std::string> remove_shm_segments(const std::string& prefix) {
  std::vector<std::string> removed;
  if (prefix.empty())
    return removed;
  DIR* dir = ::opendir("/dev/shm");
  if (dir == nullptr)
    return removed;
  while (auto* entry = ::readdir(dir)) {
    std::string name{entry->d_name};
    if (name.rfind(prefix, 0) == 0 && ::unlinkat(::dirfd(dir), entry->d_name, 0) == 0)
      removed.push_back(std::move(name));
  }
  ::closedir(dir);
  return removed;
}

} // namespace dxhub::launch
