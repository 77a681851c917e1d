#pragma once

// The launcher behind `dxhub run FILE.toml`: starts each node of a deployment
// as a child process, watches exit status and heartbeat, restarts failed
// nodes per policy (intensity and backoff as in launch/restart_policy.hpp),
// and stops the whole deployment on request (SIGTERM, grace period, SIGKILL),
// leaving no process and no shared-memory segment of the deployment behind,
// also when the launcher itself is killed with -9.

#include "dxhub/launch/child_process.hpp"
#include "dxhub/launch/deployment.hpp"
#include "dxhub/launch/restart_policy.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dxhub::launch {

/// Something the launcher did or saw, for progress lines and the event bus.
struct launch_report {
  /// "start", "exit", "hang", "restart", "give_up", "stop", "kill", "cleanup",
  /// "skip" (a node of another host), "guard" (the cleanup guard's pid).
  std::string kind;
  /// The node concerned; empty for deployment-wide reports.
  std::string node;
  pid_t pid = 0;
  /// Restarts of the node so far.
  uint32_t restarts = 0;
  /// Details: the exit status, the limit exceeded, the segments removed.
  std::string detail;
  /// "exit": the node ended abnormally (a signal, a non-zero exit code, a
  /// missed heartbeat) without the launcher asking it to stop: a crash.
  bool crashed = false;

  /// A progress line: "node camera: started (pid 4242)".
  std::string line() const;

  /// The report as an event on topic "dxhub/launcher/<deployment>", with
  /// data {"node", "pid", "restarts", "detail", "crashed"}.
  event as_event(const std::string& deployment_name) const;
};

/// The exit code of a node that found its configuration wrong (a bad
/// deployment file, an endpoint it cannot bind): the launcher does not
/// restart it but stops the deployment, with the node's last line of stderr.
inline constexpr int config_error_exit_code = 2;

struct launcher_options {
  /// The node program for nodes without `program`; empty means `dxhub-node`
  /// next to the current executable.
  std::string node_program;
  /// Nodes whose `host` is neither "localhost" nor this name are not started
  /// here (reported as "skip"); empty means the machine's host name. With
  /// `[[hosts]]` in the deployment, only the nodes of exactly this host run.
  std::string host;
  /// Before starting anything, ask each local node's program which actor
  /// types it has (`--list-types`) and refuse a deployment naming one it
  /// lacks (`dxhub run` does; test programs that do not answer it do not).
  bool check_actor_types = false;
  /// How long a program may take to answer `--list-types` (it loads plugins).
  std::chrono::milliseconds actor_types_timeout{10000};
  /// Receives every report, on the thread that runs `run()`.
  std::function<void(const launch_report&)> on_report;
  /// Called on every tick of `run()` (status lines, a --duration limit that
  /// calls `stop()`), on the thread that runs `run()`.
  std::function<void()> on_tick;
  /// How often the launcher checks exits and heartbeats at most.
  std::chrono::milliseconds tick{50};
  /// The nodes' working directory; empty means the launcher's.
  std::string workdir;
  /// A directory of this run only (its ipc sockets) that the launcher's guard
  /// empties and removes if the launcher is killed; empty: none.
  std::string run_dir;
};

/// Runs one deployment. Call `run()` from the thread that should own the
/// nodes: a node is killed when the thread that started it ends.
class launcher {
public:
  launcher(deployment plan, launcher_options options = {});
  ~launcher();

  launcher(const launcher&) = delete;
  launcher& operator=(const launcher&) = delete;

  /// Starts the nodes and supervises them until `stop()` (returns ok after
  /// stopping everything), until every node has ended for good (ok), or
  /// until a node exceeds its restart intensity (everything is stopped;
  /// `errc::restart_limit` naming the node and the count), or until a node
  /// exits with `config_error_exit_code` (everything is stopped;
  /// `errc::config_error` with the node's last line). Checks first that
  /// every node program can be executed: on error nothing is started.
  expected<void> run();

  /// Asks `run()` to stop the deployment. Async-signal-safe.
  void stop() noexcept;

  /// Makes SIGINT and SIGTERM call `stop()` of `target` (one launcher per
  /// process); SIGPIPE is ignored.
  static void stop_on_signals(launcher& target);

  const deployment& plan() const noexcept { return plan_; }

  /// The program started for `node`.
  std::string program_of(const node_spec& node) const;

private:
  struct node_state;

  expected<void> check_programs() const;
  void start(node_state& n);
  void on_exit(node_state& n, exit_status status);
  void check_heartbeats();
  void start_due();
  void read_heartbeats(const std::vector<int>& ready);
  void reap();
  void pass_stderr();
  void shutdown(const std::string& why);
  void remove_segments();
  void report(launch_report r);
  bool busy() const;

  deployment plan_;
  launcher_options options_;
  std::vector<node_state> nodes_;
  int stop_pipe_[2] = {-1, -1};
  int guard_fd_ = -1;
  pid_t guard_pid_ = -1;
  bool stopping_ = false;
  error failure_;
};

} // namespace dxhub::launch
