#include "dxhub/tests/support/child_process.hpp"

#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <utility>

namespace dxhub::test {

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "child_process: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1'000'000;
}

} // namespace

child_process::child_process(std::vector<std::string> argv, std::vector<std::string> extra_env) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    die("pipe2");
  launch::process_options options;
  options.program = argv.at(0);
  options.args.assign(argv.begin() + 1, argv.end());
  for (auto& e : extra_env) {
    auto eq = e.find('=');
    options.env[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
  }
  options.heartbeat = false;
  options.stdout_fd = out[1];
  auto started = launch::child_process::start(options);
  close(out[1]);
  if (!started) {
    std::fprintf(stderr, "child_process: %s\n", started.error().what().c_str());
    std::abort();
  }
  process_ = std::move(started).value();
  stdout_fd_ = out[0];
}

child_process::~child_process() {
  // Only the child itself: what it started must end because it ended (the
  // tests check that), not because the test signalled its whole group.
  if (running()) {
    ::kill(pid(), SIGKILL);
    reap_now();
  }
  if (stdout_fd_ >= 0)
    close(stdout_fd_);
}

child_process::child_process(child_process&& other) noexcept
  : process_(std::move(other.process_)), stdout_fd_(std::exchange(other.stdout_fd_, -1)),
    status_(other.status_), buffer_(std::move(other.buffer_)) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    this->~child_process();
    new (this) child_process(std::move(other));
  }
  return *this;
}

void child_process::kill(int signal) const noexcept {
  if (running())
    ::kill(pid(), signal);
}

void child_process::reap_now() noexcept {
  while (waitpid(pid(), &status_, 0) < 0 && errno == EINTR) {
  }
  process_.reaped(launch::exit_status::from_wait(status_));
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
  if (!running())
    return status_;
  auto deadline = now_ms() + timeout.count();
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid(), &status, WNOHANG);
    if (r == pid()) {
      status_ = status;
      process_.reaped(launch::exit_status::from_wait(status));
      return status_;
    }
    if (now_ms() >= deadline)
      return std::nullopt;
    usleep(2000);
  }
}

std::optional<int> child_process::exit_code(std::chrono::milliseconds timeout) {
  auto status = wait_for(timeout);
  if (!status) {
    kill(SIGKILL);
    reap_now();
    return std::nullopt;
  }
  if (WIFEXITED(*status))
    return WEXITSTATUS(*status);
  if (WIFSIGNALED(*status))
    return -WTERMSIG(*status);
  return std::nullopt;
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = now_ms() + timeout.count();
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      auto line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = deadline - now_ms();
    if (left <= 0 || stdout_fd_ < 0)
      return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0)
      continue;
    char chunk[4096];
    auto n = read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      close(stdout_fd_);
      stdout_fd_ = -1;
      if (!buffer_.empty()) {
        auto line = std::move(buffer_);
        buffer_.clear();
        return line;
      }
      return std::nullopt;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string child_process::read_all(std::chrono::milliseconds timeout) {
  std::string all;
  while (auto line = read_line(timeout)) {
    all += *line;
    all += '\n';
  }
  return all;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

std::string built_program(const std::string& relative_path) {
  const char* dir = std::getenv("DXHUB_TEST_BINARY_DIR");
  return std::string{dir != nullptr ? dir : "."} + "/" + relative_path;
}

} // namespace dxhub::test
