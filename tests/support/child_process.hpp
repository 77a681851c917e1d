#pragma once

// Real child processes for multi-process tests: spawned with a clean argv,
// their stdout captured, bounded in time, and never left behind. Started by
// launch::child_process, so a child dies with the test even when the test is
// killed (PR_SET_PDEATHSIG); the destructor kills and reaps it.

#include "dxhub/launch/child_process.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::test {

class child_process {
public:
  /// Starts `argv[0]` (a path) with `argv`; `extra_env` entries ("K=V") are
  /// added to the inherited environment. Aborts the test on failure to spawn.
  explicit child_process(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;

  pid_t pid() const noexcept { return process_.pid(); }

  /// Sends `signal` (SIGKILL by default); no-op once the child is reaped.
  void kill(int signal = 9) const noexcept;

  /// Waits up to `timeout` for the child to end; returns its wait status
  /// (as waitpid reports it) or nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

  /// Exit code if the child exited normally, -signal if a signal ended it,
  /// nullopt on timeout (the child is then killed).
  std::optional<int> exit_code(std::chrono::milliseconds timeout);

  /// Reads stdout until the child closes it or `timeout` passes.
  std::string read_all(std::chrono::milliseconds timeout);

  /// Reads one line of stdout (without '\n'), or nullopt on timeout/EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  bool running() const noexcept { return process_.running(); }

private:
  void reap_now() noexcept;

  launch::child_process process_;
  int stdout_fd_ = -1;
  int status_ = 0;
  std::string buffer_;
};

/// A name unique to this process and call, for channels, segments and sockets.
std::string unique_name(const std::string& prefix);

/// The path of a program built next to the tests (DXHUB_TEST_BINARY_DIR/relative).
std::string built_program(const std::string& relative_path);

} // namespace dxhub::test
