#pragma once

// A process started by the launcher, and by every test and benchmark that
// runs another program: fork + exec with the guarantees a deployment needs.
// The child dies with its starter (PR_SET_PDEATHSIG is set before exec),
// leads its own process group (so that signals reach anything it starts, and
// a terminal's Ctrl-C reaches only the launcher, which then stops the nodes
// in order), and may inherit one end of a socket pair as its heartbeat
// descriptor. `fork` gives the same guarantees to a function run in a forked
// copy of the caller (a benchmark's second process).

#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::launch {

/// How a process ended.
struct exit_status {
  /// True when a signal ended it; `code` is then the signal number.
  bool signaled = false;
  int code = 0;

  /// From a `waitpid` status.
  static exit_status from_wait(int status) noexcept;

  /// Anything but "exited with code 0".
  bool abnormal() const noexcept { return signaled || code != 0; }

  /// "exited with code 3", "killed by signal 9 (Killed)".
  std::string describe() const;
};

struct process_options {
  /// Path of the program (searched in PATH only with `search_path`).
  std::string program;
  /// A `program` without '/' is looked up in PATH (before the fork).
  bool search_path = false;
  /// argv[1..].
  std::vector<std::string> args;
  /// Added to (or replacing in) the launcher's environment.
  std::map<std::string, std::string> env;
  /// Gives the child a heartbeat descriptor, named in DXHUB_HEARTBEAT_FD.
  bool heartbeat = true;
  /// The child's working directory; empty means the launcher's.
  std::string workdir;
  /// A descriptor of the caller's that becomes the child's standard input
  /// (e.g. a pipe whose closing tells the child to leave); -1 keeps the caller's.
  int stdin_fd = -1;
  /// A descriptor of the caller's that becomes the child's standard output
  /// (e.g. a file to read its answer from); -1 keeps the caller's.
  int stdout_fd = -1;
  /// A descriptor of the caller's that becomes the child's standard error
  /// (e.g. a log file); -1 keeps the caller's. Ignored with `capture_stderr`.
  int stderr_fd = -1;
  /// The child's stderr goes to a pipe read through `stderr_fd()` (the
  /// launcher passes it on and keeps the last line); false: inherited.
  bool capture_stderr = false;
  /// The CPUs the child may run on (its affinity, set before exec and
  /// inherited by every thread it starts); empty: the caller's.
  std::vector<int> cpus;
};

/// A started child process. Destroying a running one kills its process
/// group and reaps it.
class child_process {
public:
  /// Starts `options.program`. Fails (and starts nothing) when the program
  /// cannot be executed or the affinity to `options.cpus` cannot be set; the
  /// error names the program and the reason.
  static expected<child_process> start(const process_options& options);

  /// Runs `body` in a forked copy of this process, without exec, with the
  /// same guarantees as `start` (dies with this process, leads its own
  /// process group, default signal dispositions). The child leaves with
  /// `_exit(body())` (2 if it throws), so that nothing of the parent's
  /// (destructors, atexit handlers) runs twice; `body` must keep to what is
  /// safe in a forked copy of a process that may have had threads.
  static expected<child_process> fork(const std::function<int()>& body);

  child_process() = default;
  ~child_process();
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running() const noexcept { return pid_ > 0 && !reaped_; }

  /// The launcher's end of the heartbeat channel (readable on each beat,
  /// end-of-file once the child is gone); -1 without heartbeat.
  int heartbeat_fd() const noexcept { return heartbeat_fd_; }
  /// Closes the launcher's end (after end-of-file).
  void close_heartbeat() noexcept;

  /// The read end of the child's stderr (non-blocking), or -1.
  int stderr_fd() const noexcept { return stderr_fd_; }
  /// Reads what the child wrote to stderr so far, without blocking: passed
  /// on to this process's stderr; the last complete line is kept. Closes the
  /// pipe at end-of-file.
  void pass_stderr() noexcept;
  /// The last non-empty line the child wrote to stderr (with `capture_stderr`).
  const std::string& last_stderr_line() const noexcept { return last_line_; }

  /// Sends `signal` to the child's process group.
  void signal(int signal) const noexcept;

  /// Records the status reaped by the caller's `waitpid` loop.
  void reaped(exit_status status) noexcept;

  /// Reaps the child if it has ended, without blocking.
  std::optional<exit_status> try_reap() noexcept;

  /// Kills the process group and waits for the child.
  void kill_and_reap() noexcept;

private:
  void release() noexcept;

  pid_t pid_ = -1;
  bool reaped_ = false;
  int heartbeat_fd_ = -1;
  int stderr_fd_ = -1;
  std::string partial_line_;
  std::string last_line_;
};

/// The path of this program's executable (/proc/self/exe).
std::string current_executable();

} // namespace dxhub::launch
