#include "dxhub/benchmarks/suite/program.hpp"

#include "dxhub/launch/child_process.hpp"

#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace dxhub::bench::suite {

namespace fs = std::filesystem;

namespace {

bool executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

/// A file descriptor closed on scope exit.
struct owned_fd {
  int fd = -1;
  ~owned_fd() {
    if (fd >= 0)
      close(fd);
  }
};

/// Splits what arrived into lines, keeping a partial last line for later.
void take_lines(std::string& pending, std::vector<std::string>& lines) {
  std::size_t start = 0;
  for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
    lines.push_back(pending.substr(start, nl - start));
    start = nl + 1;
  }
  pending.erase(0, start);
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n <= 0)
      return; // the log is a convenience; a full disk must not stop the run
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

} // namespace

std::optional<fs::path> find_program(const fs::path& dir, const std::string& name) {
  if (executable(dir / name))
    return dir / name;
  std::error_code ec;
  auto options = fs::directory_options::skip_permission_denied;
  for (auto it = fs::recursive_directory_iterator(dir, options, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && (it.depth() >= 4 || it->path().filename() == "CMakeFiles")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename() == name && executable(it->path()))
      return it->path();
  }
  return std::nullopt;
}

expected<program_output> run_program(const fs::path& program, const std::vector<std::string>& args,
                                     std::chrono::seconds timeout, const fs::path& log) {
  owned_fd log_fd{open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)};
  if (log_fd.fd < 0)
    return last_system_error("open " + log.string());
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0)
    return last_system_error("pipe2");
  owned_fd reader{ends[0]};
  owned_fd writer{ends[1]};

  // launch::child_process: the program dies with the suite (a Ctrl-C does
  // not reach its own process group) and leads a group of its own, so that
  // a timeout ends its children too.
  launch::process_options options;
  options.program = program.string();
  options.args = args;
  options.heartbeat = false;
  options.stdout_fd = writer.fd;
  options.stderr_fd = log_fd.fd;
  auto started = launch::child_process::start(options);
  close(writer.fd);
  writer.fd = -1;
  if (!started)
    return started.error();
  auto child = std::move(started).value();
  pid_t pid = child.pid();

  program_output out;
  std::string pending;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[8192];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.timed_out = true;
      child.signal(SIGKILL);
      break;
    }
    pollfd p{reader.fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000))) <= 0)
      continue;
    ssize_t n = read(reader.fd, buffer, sizeof buffer);
    if (n <= 0)
      break; // EOF: the program closed stdout
    write_all(log_fd.fd, buffer, static_cast<std::size_t>(n));
    pending.append(buffer, static_cast<std::size_t>(n));
    take_lines(pending, out.lines);
  }
  if (!pending.empty())
    out.lines.push_back(pending);
  int status = 0;
  rusage usage{};
  // After EOF the program is about to exit; a bounded wait keeps a program
  // that closed stdout but hangs from stalling the suite.
  for (int waited_ms = 0; wait4(pid, &status, WNOHANG, &usage) == 0; ++waited_ms) {
    if (waited_ms == 5000 || (out.timed_out && waited_ms == 0))
      child.signal(SIGKILL);
    usleep(1000);
  }
  child.reaped(launch::exit_status::from_wait(status));
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  out.peak_rss_kib = usage.ru_maxrss;
  return out;
}

} // namespace dxhub::bench::suite
