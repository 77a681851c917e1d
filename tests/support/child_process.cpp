#include "dxhub/tests/support/child_process.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

extern char** environ;

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
  // fork+exec rather than posix_spawn: the child must set PR_SET_PDEATHSIG
  // before exec so that it never outlives the test process.
  pid_t parent = getpid();
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e)
    env_storage.emplace_back(*e);
  for (auto& e : extra_env)
    env_storage.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_storage)
    env.push_back(e.data());
  env.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0)
    die("fork");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    dup2(out[1], STDOUT_FILENO);
    execve(args[0], args.data(), env.data());
    std::fprintf(stderr, "child_process: exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
}

child_process::~child_process() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    reap_now();
  }
  if (stdout_fd_ >= 0)
    close(stdout_fd_);
}

child_process::child_process(child_process&& other) noexcept
  : pid_(other.pid_), stdout_fd_(other.stdout_fd_), reaped_(other.reaped_), status_(other.status_),
    buffer_(std::move(other.buffer_)) {
  other.pid_ = -1;
  other.stdout_fd_ = -1;
}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    this->~child_process();
    new (this) child_process(std::move(other));
  }
  return *this;
}

void child_process::kill(int signal) const noexcept {
  if (pid_ > 0 && !reaped_)
    ::kill(pid_, signal);
}

void child_process::reap_now() noexcept {
  while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
  if (reaped_)
    return status_;
  auto deadline = now_ms() + timeout.count();
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = status;
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
