#include "dxhub/launch/child_process.hpp"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace dxhub::launch {

exit_status exit_status::from_wait(int status) noexcept {
  if (WIFSIGNALED(status))
    return {true, WTERMSIG(status)};
  return {false, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::string exit_status::describe() const {
  if (signaled) {
    const char* name = ::strsignal(code);
    return "killed by signal " + std::to_string(code) + " (" + (name != nullptr ? name : "?") + ")";
  }
  return "exited with code " + std::to_string(code);
}

namespace {

// The environment of the child: ours, with `extra` added or replaced.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry{*e};
    auto key = entry.substr(0, entry.find('='));
    if (extra.count(key) == 0)
      env.push_back(std::move(entry));
  }
  for (auto& [key, value] : extra)
    env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The descriptors the child gets as 0, 1 and 2 (-1: inherited).
struct standard_fds {
  int in = -1;
  int out = -1;
  int err = -1;
};

// `name` looked up in PATH as a shell would; `name` itself when not found
// (the exec then reports why).
std::string in_path(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    auto dir = dirs.substr(start, end - start);
    auto candidate = (dir.empty() ? std::string{"."} : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return name;
}

// In the child right after the fork: async-signal-safe calls only.
void become_child(pid_t parent) noexcept {
  // Dies with the launcher, even when the launcher is killed with -9; the
  // check after the call closes the race with a launcher that died first.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent)
    ::_exit(127);
  ::setpgid(0, 0);
  // Signals the launcher ignores or blocks must not stay so for the node.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
}

// What the child reports through the pipe when it cannot exec: the step
// that failed and its errno.
enum class failed_step : int { exec = 0, affinity = 1 };

struct child_report {
  failed_step step = failed_step::exec;
  int error = 0;
};

// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(pid_t parent, int beat_fd, int report_fd, standard_fds fds,
                             const char* workdir, const cpu_set_t* cpus, char** argv, char** envp) {
  become_child(parent);
  if (cpus != nullptr && ::sched_setaffinity(0, sizeof *cpus, cpus) != 0) {
    child_report report{failed_step::affinity, errno};
    [[maybe_unused]] auto n = ::write(report_fd, &report, sizeof report);
    ::_exit(127);
  }
  if (beat_fd >= 0)
    ::fcntl(beat_fd, F_SETFD, 0); // inherited across exec
  // The copies dup2 makes are not close-on-exec.
  if (fds.in >= 0 && ::dup2(fds.in, STDIN_FILENO) < 0)
    ::_exit(127);
  if (fds.out >= 0 && ::dup2(fds.out, STDOUT_FILENO) < 0)
    ::_exit(127);
  if (fds.err >= 0)
    ::dup2(fds.err, STDERR_FILENO);
  if (*workdir == '\0' || ::chdir(workdir) == 0)
    ::execve(argv[0], argv, envp);
  child_report report{failed_step::exec, errno};
  [[maybe_unused]] auto n = ::write(report_fd, &report, sizeof report);
  ::_exit(127);
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string list;
  for (int cpu : cpus)
    list += (list.empty() ? "" : ",") + std::to_string(cpu);
  return list;
}

} // namespace

expected<child_process> child_process::start(const process_options& options) {
  int beat[2] = {-1, -1};
  if (options.heartbeat && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, beat) != 0)
    return last_system_error("socketpair");
  // exec failures come back through a close-on-exec pipe: end-of-file means
  // the exec succeeded.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    auto err = last_system_error("pipe2");
    if (beat[0] >= 0) {
      ::close(beat[0]);
      ::close(beat[1]);
    }
    return err;
  }
  int err[2] = {-1, -1};
  if (options.capture_stderr && ::pipe2(err, O_CLOEXEC) != 0) {
    auto failed = last_system_error("pipe2");
    for (int fd : {report[0], report[1], beat[0], beat[1]})
      if (fd >= 0)
        ::close(fd);
    return failed;
  }
  auto env_vars = options.env;
  if (options.heartbeat)
    env_vars["DXHUB_HEARTBEAT_FD"] = std::to_string(beat[1]);
  auto env = child_environment(env_vars);
  std::vector<std::string> args{options.search_path ? in_path(options.program) : options.program};
  args.insert(args.end(), options.args.begin(), options.args.end());
  auto argv = pointers(args);
  auto envp = pointers(env);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int cpu : options.cpus)
    if (cpu >= 0 && cpu < CPU_SETSIZE)
      CPU_SET(cpu, &cpus);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0)
    exec_child(parent, beat[1], report[1],
               {options.stdin_fd, options.stdout_fd, err[1] >= 0 ? err[1] : options.stderr_fd},
               options.workdir.c_str(), options.cpus.empty() ? nullptr : &cpus, argv.data(),
               envp.data());
  int fork_errno = errno;
  ::close(report[1]);
  for (int fd : {beat[1], err[1]})
    if (fd >= 0)
      ::close(fd);
  if (pid < 0) {
    ::close(report[0]);
    for (int fd : {beat[0], err[0]})
      if (fd >= 0)
        ::close(fd);
    errno = fork_errno;
    return last_system_error("fork");
  }
  // The parent sets the group too, so that signalling the group works even
  // before the child has run.
  ::setpgid(pid, pid);
  child_process child;
  child.pid_ = pid;
  child.heartbeat_fd_ = beat[0];
  child.stderr_fd_ = err[0];
  if (err[0] >= 0)
    ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  child_report failure;
  ssize_t n;
  do
    n = ::read(report[0], &failure, sizeof failure);
  while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof failure) {
    child.kill_and_reap();
    return error{errc::system_error,
                 "cannot start '" + options.program + "'"
                     + (options.workdir.empty() ? "" : " in '" + options.workdir + "'") + ": "
                     + (failure.step == failed_step::affinity
                            ? "cannot run it on CPUs " + cpu_list(options.cpus) + ": "
                            : "")
                     + std::strerror(failure.error)};
  }
  if (beat[0] >= 0)
    ::fcntl(beat[0], F_SETFL, O_NONBLOCK);
  return child;
}

expected<child_process> child_process::fork(const std::function<int()>& body) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    return last_system_error("fork");
  if (pid == 0) {
    become_child(parent);
    int code = 2;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  ::setpgid(pid, pid); // as in start: the group can be signalled at once
  child_process child;
  child.pid_ = pid;
  return child;
}

child_process::~child_process() {
  release();
}

child_process::child_process(child_process&& other) noexcept
  : pid_(std::exchange(other.pid_, -1)), reaped_(std::exchange(other.reaped_, false)),
    heartbeat_fd_(std::exchange(other.heartbeat_fd_, -1)),
    stderr_fd_(std::exchange(other.stderr_fd_, -1)), partial_line_(std::move(other.partial_line_)),
    last_line_(std::move(other.last_line_)) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    reaped_ = std::exchange(other.reaped_, false);
    heartbeat_fd_ = std::exchange(other.heartbeat_fd_, -1);
    stderr_fd_ = std::exchange(other.stderr_fd_, -1);
    partial_line_ = std::move(other.partial_line_);
    last_line_ = std::move(other.last_line_);
  }
  return *this;
}

void child_process::release() noexcept {
  if (running())
    kill_and_reap();
  close_heartbeat();
  if (stderr_fd_ >= 0)
    ::close(stderr_fd_);
  stderr_fd_ = -1;
  pid_ = -1;
}

void child_process::pass_stderr() noexcept {
  char buf[4096];
  while (stderr_fd_ >= 0) {
    auto got = ::read(stderr_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      if (got == 0) { // the child and whatever it started closed it
        ::close(stderr_fd_);
        stderr_fd_ = -1;
      }
      return;
    }
    for (ssize_t done = 0; done < got;) {
      auto n = ::write(STDERR_FILENO, buf + done, static_cast<std::size_t>(got - done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
    try {
      partial_line_.append(buf, static_cast<std::size_t>(got));
      for (auto nl = partial_line_.find('\n'); nl != std::string::npos;
           nl = partial_line_.find('\n')) {
        if (nl > 0)
          last_line_ = partial_line_.substr(0, nl);
        partial_line_.erase(0, nl + 1);
      }
      if (partial_line_.size() > 65536) // no newline in sight: keep the memory bounded
        partial_line_.erase(0, partial_line_.size() - 4096);
    } catch (...) { // out of memory: the line is lost, the output passed on
    }
  }
}

void child_process::close_heartbeat() noexcept {
  if (heartbeat_fd_ >= 0)
    ::close(heartbeat_fd_);
  heartbeat_fd_ = -1;
}

void child_process::signal(int sig) const noexcept {
  if (pid_ > 0) {
    // The group (the node and anything it started) and the node itself, in
    // case it left the group.
    ::kill(-pid_, sig);
    if (!reaped_)
      ::kill(pid_, sig);
  }
}

void child_process::reaped(exit_status) noexcept {
  reaped_ = true;
}

std::optional<exit_status> child_process::try_reap() noexcept {
  if (!running())
    return std::nullopt;
  int status = 0;
  pid_t r;
  do
    r = ::waitpid(pid_, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    return exit_status::from_wait(status);
  }
  if (r < 0 && errno == ECHILD)
    reaped_ = true; // reaped elsewhere
  return std::nullopt;
}

void child_process::kill_and_reap() noexcept {
  if (!running())
    return;
  signal(SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

std::string current_executable() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

} // namespace dxhub::launch
