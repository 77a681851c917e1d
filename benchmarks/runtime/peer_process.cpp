#include "dxhub/benchmarks/runtime/peer_process.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <thread>
#include <unistd.h>

namespace dxhub::bench::runtime {

namespace {

int64_t ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                               - start)
      .count();
}

/// This program's file, resolved before the fork: a tool this program runs
/// under (valgrind) answers for it, where `/proc/self/exe` names the tool.
std::string this_program() {
  std::string path(4096, '\0');
  auto n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  path.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return path.empty() ? "/proc/self/exe" : path;
}

[[noreturn]] void become_peer(const std::string& program, const std::vector<std::string>& args,
                              int in_fd, int out_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(in_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  std::vector<std::string> words{"dxhub-bench-runtime", "peer"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);
  execv(program.c_str(), argv.data());
  _exit(127);
}

} // namespace

expected<peer_process> peer_process::start(const std::vector<std::string>& args) {
  int to_peer[2];
  int from_peer[2];
  if (pipe2(to_peer, O_CLOEXEC) != 0)
    return last_system_error("pipe for a peer's stdin");
  if (pipe2(from_peer, O_CLOEXEC) != 0) {
    close(to_peer[0]);
    close(to_peer[1]);
    return last_system_error("pipe for a peer's stdout");
  }
  auto program = this_program();
  pid_t pid = fork();
  if (pid == 0)
    become_peer(program, args, to_peer[0], from_peer[1]);
  close(to_peer[0]);
  close(from_peer[1]);
  if (pid < 0) {
    close(to_peer[1]);
    close(from_peer[0]);
    return last_system_error("fork of a peer");
  }
  return peer_process{pid, to_peer[1], from_peer[0]};
}

peer_process::peer_process(peer_process&& other) noexcept
  : pid_(other.pid_), to_peer_(other.to_peer_), from_peer_(other.from_peer_),
    buffer_(std::move(other.buffer_)) {
  other.pid_ = -1;
  other.to_peer_ = -1;
  other.from_peer_ = -1;
}

peer_process::~peer_process() {
  finish();
}

std::optional<std::string> peer_process::read_line(std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      auto line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = timeout.count() - ms_since(start);
    if (from_peer_ < 0 || left <= 0)
      return std::nullopt;
    pollfd p{from_peer_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      return std::nullopt;
    char chunk[512];
    auto n = read(from_peer_, chunk, sizeof chunk);
    if (n <= 0)
      return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

void peer_process::finish() {
  if (to_peer_ >= 0)
    close(to_peer_);
  to_peer_ = -1;
  if (pid_ > 0) {
    auto start = std::chrono::steady_clock::now();
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (ms_since(start) > 3000) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  pid_ = -1;
  if (from_peer_ >= 0)
    close(from_peer_);
  from_peer_ = -1;
}

bool parent_says_stop(std::chrono::milliseconds timeout) {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char c;
  return read(STDIN_FILENO, &c, 1) <= 0;
}

} // namespace dxhub::bench::runtime
