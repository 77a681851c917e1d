#include "dxhub/benchmarks/runtime/peer_process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace dxhub::bench::runtime {

namespace {

int64_t ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                               - start)
      .count();
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
  launch::process_options options;
  // This program's file, resolved here: a tool this program runs under
  // (valgrind) answers for it, where `/proc/self/exe` names the tool.
  options.program = launch::current_executable();
  if (options.program.empty())
    options.program = "/proc/self/exe";
  options.args = {"peer"};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.heartbeat = false;
  options.stdin_fd = to_peer[0];
  options.stdout_fd = from_peer[1];
  auto started = launch::child_process::start(options);
  close(to_peer[0]);
  close(from_peer[1]);
  if (!started) {
    close(to_peer[1]);
    close(from_peer[0]);
    return started.error();
  }
  return peer_process{std::move(started).value(), to_peer[1], from_peer[0]};
}

peer_process::peer_process(peer_process&& other) noexcept
  : process_(std::move(other.process_)), to_peer_(std::exchange(other.to_peer_, -1)),
    from_peer_(std::exchange(other.from_peer_, -1)), buffer_(std::move(other.buffer_)) {}

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
  auto start = std::chrono::steady_clock::now();
  while (process_.running() && !process_.try_reap()) {
    if (ms_since(start) > 3000) {
      process_.kill_and_reap();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
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
