#include "dxhub/launch/heartbeat.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <string>
#include <unistd.h>

namespace dxhub::launch {

namespace {

// False once the launcher is gone (or the descriptor is unusable): there is
// nobody left to tell, and the node dies with the launcher anyway.
bool beat(int fd) {
  char byte = 1;
  for (;;) {
    // MSG_NOSIGNAL: a dead launcher must not kill the node by SIGPIPE here.
    auto n = ::send(fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK)
      n = ::write(fd, &byte, 1);
    if (n == 1)
      return true;
    if (n < 0 && errno == EINTR)
      continue;
    // A full buffer means the launcher is busy: skip this beat.
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

} // namespace

heartbeat::heartbeat(int fd, std::chrono::milliseconds period) : fd_(fd), period_(period) {
  thread_ = std::thread{[this] { loop(); }};
}

heartbeat::~heartbeat() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t heartbeat::beats() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return beats_;
}

void heartbeat::loop() {
  // A write to a pipe whose reader is gone raises SIGPIPE in this thread;
  // blocked here, it turns into EPIPE instead.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  std::unique_lock<std::mutex> lock{mutex_};
  while (!stop_) {
    if (!beat(fd_))
      return;
    ++beats_;
    wake_.wait_for(lock, period_, [this] { return stop_; });
  }
}

expected<std::unique_ptr<heartbeat>> start_heartbeat_from_env(std::chrono::milliseconds period) {
  const char* text = std::getenv(heartbeat_fd_env);
  if (text == nullptr || *text == '\0')
    return std::unique_ptr<heartbeat>{};
  int fd = -1;
  auto end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, fd);
  if (ec != std::errc{} || ptr != end || fd < 0)
    return error{errc::invalid_argument,
                 std::string{heartbeat_fd_env} + "='" + text + "' is not a descriptor number"};
  if (::fcntl(fd, F_GETFD) < 0)
    return error{errc::invalid_argument,
                 std::string{heartbeat_fd_env} + "=" + text
                     + " is not an open descriptor: " + std::strerror(errno)};
  // Not inherited by programs this node starts: they are not the node.
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return std::make_unique<heartbeat>(fd, period);
}

} // namespace dxhub::launch
