#include "dxhub/launch/launcher.hpp"

#include "dxhub/launch/heartbeat.hpp"
#include "dxhub/launch/launcher_guard.hpp"
#include "dxhub/launch/node_types.hpp"
#include "dxhub/schemas/clock.hpp"

#include <nlohmann/json.hpp>

#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <poll.h>
#include <thread>
#include <unistd.h>

namespace dxhub::launch {

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::atomic<launcher*> signal_target{nullptr};

void on_stop_signal(int) {
  if (auto* target = signal_target.load())
    target->stop();
}

long long ms_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

// "10 s", "2.5 s".
std::string seconds_text(milliseconds d) {
  auto text = std::to_string(d.count() / 1000);
  if (d.count() % 1000 != 0) {
    auto frac = std::to_string(1000 + d.count() % 1000).substr(1);
    frac.erase(frac.find_last_not_of('0') + 1);
    text += "." + frac;
  }
  return text + " s";
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return {};
  return buf;
}

} // namespace

// -- reports ---------------------------------------------------------------------

std::string launch_report::line() const {
  std::string out = node.empty() ? "deployment: " : "node " + node + ": ";
  out += kind;
  if (pid > 0)
    out += " pid " + std::to_string(pid);
  if (kind == "restart")
    out += " (restart " + std::to_string(restarts) + ")";
  if (!detail.empty())
    out += ": " + detail;
  return out;
}

event launch_report::as_event(const std::string& deployment_name) const {
  event e;
  e.topic = "dxhub/launcher/" + deployment_name;
  e.source = "launcher";
  e.kind = kind;
  e.wall_ns = wall_ns();
  e.data.text = nlohmann::json{
      {"node", node},
      {"pid", pid},
      {"restarts", restarts},
      {"detail", detail},
      {"crashed",
       crashed}}.dump();
  return e;
}

// -- node bookkeeping --------------------------------------------------------------

struct launcher::node_state {
  const node_spec* spec = nullptr;
  child_process process;
  restart_intensity intensity;
  uint32_t restarts = 0;
  bool local = true;
  bool done = false; // ended for good (not restarted)
  bool hung = false; // killed for a missed heartbeat
  std::optional<clock_type::time_point> restart_at;
  clock_type::time_point started{};
  clock_type::time_point last_beat{};
  bool beat_seen = false;

  bool watched() const { return spec->restart.heartbeat_timeout.count() > 0; }
};

launcher::launcher(deployment plan, launcher_options options)
  : plan_(std::move(plan)), options_(std::move(options)) {
  if (!plan_.file.empty()) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(plan_.file, ec);
    if (!ec)
      plan_.file = absolute.string();
  }
  if (options_.host.empty())
    options_.host = host_name();
  for (auto& spec : plan_.nodes) {
    node_state n;
    n.spec = &spec;
    n.intensity = restart_intensity{spec.restart.limits};
    // A deployment of several hosts names them all: only this one's run here.
    n.local = plan_.hosts.empty() ? spec.host == "localhost" || spec.host == "127.0.0.1"
                                        || spec.host == options_.host
                                  : spec.host == options_.host;
    nodes_.push_back(std::move(n));
  }
  if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    stop_pipe_[0] = stop_pipe_[1] = -1;
}

launcher::~launcher() {
  for (auto i = nodes_.size(); i-- > 0;)
    nodes_[i].process.kill_and_reap();
  if (guard_fd_ >= 0)
    ::close(guard_fd_);
  if (guard_pid_ > 0)
    ::waitpid(guard_pid_, nullptr, 0);
  launcher* self = this;
  signal_target.compare_exchange_strong(self, nullptr);
  for (int fd : stop_pipe_)
    if (fd >= 0)
      ::close(fd);
}

void launcher::stop() noexcept {
  int saved = errno;
  char byte = 1;
  [[maybe_unused]] auto n = ::write(stop_pipe_[1], &byte, 1);
  errno = saved;
}

void launcher::stop_on_signals(launcher& target) {
  signal_target.store(&target);
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

std::string launcher::program_of(const node_spec& node) const {
  auto fallback =
      options_.node_program.empty()
          ? (std::filesystem::path{current_executable()}.parent_path() / "dxhub-node").string()
          : options_.node_program;
  return node_program_of(plan_, node, fallback);
}

expected<void> launcher::check_programs() const {
  // CPUs are checked here, where the node runs, not in the parser: a
  // deployment of several hosts names the CPUs of each node's own machine.
  auto cpu_count = machine_cpu_count();
  for (auto& n : nodes_) {
    if (!n.local)
      continue;
    DXHUB_TRYV(check_node_cpus(plan_, *n.spec, cpu_count));
    auto program = program_of(*n.spec);
    if (::access(program.c_str(), X_OK) != 0)
      return error{errc::config_error, plan_.file + ":" + std::to_string(n.spec->line)
                                           + ": field 'nodes." + n.spec->name
                                           + ".program': cannot execute '" + program
                                           + "': " + std::strerror(errno)};
  }
  if (stop_pipe_[0] < 0)
    return last_system_error("pipe2");
  if (options_.check_actor_types)
    DXHUB_TRYV(launch::check_actor_types(
        plan_,
        [this](const node_spec& spec) {
          return ask_actor_types(program_of(spec), plan_.file, spec.name,
                                 options_.actor_types_timeout);
        },
        [this](const node_spec& spec) {
          for (const auto& n : nodes_)
            if (n.spec == &spec)
              return n.local;
          return false;
        }));
  return ok();
}

void launcher::report(launch_report r) {
  if (options_.on_report)
    options_.on_report(r);
}

// -- starting and watching ---------------------------------------------------------

void launcher::start(node_state& n) {
  auto& spec = *n.spec;
  process_options opts;
  opts.program = program_of(spec);
  opts.args = {"--deployment", plan_.file, "--node", spec.name};
  opts.args.insert(opts.args.end(), spec.args.begin(), spec.args.end());
  opts.env = spec.env;
  opts.env["DXHUB_DEPLOYMENT"] = plan_.name;
  opts.env["DXHUB_DEPLOYMENT_FILE"] = plan_.file;
  opts.env["DXHUB_NODE"] = spec.name;
  opts.env["DXHUB_SHM_PREFIX"] = plan_.shm_prefix();
  opts.env["DXHUB_RESTART_COUNT"] = std::to_string(n.restarts);
  opts.heartbeat = n.watched();
  opts.workdir = options_.workdir;
  opts.cpus = spec.cpus;
  // Passed on line by line; the last line explains an exit with code 2.
  opts.capture_stderr = true;
  n.started = clock_type::now();
  n.beat_seen = false;
  n.hung = false;
  n.process = child_process{}; // the previous instance is reaped already
  auto started = child_process::start(opts);
  if (!started) {
    report({"exit", spec.name, 0, n.restarts, started.error().context});
    on_exit(n, exit_status{false, 127});
    return;
  }
  n.process = std::move(started.value());
  guard_watch(launcher_guard{guard_fd_, guard_pid_}, n.process.pid());
  report({n.restarts == 0 ? "start" : "restart", spec.name, n.process.pid(), n.restarts, {}});
}

void launcher::on_exit(node_state& n, exit_status status) {
  auto& spec = *n.spec;
  n.process.close_heartbeat();
  bool hung = std::exchange(n.hung, false);
  if (n.process.pid() > 0) {
    auto detail = hung ? "killed after a missed heartbeat" : status.describe();
    report({"exit", spec.name, n.process.pid(), n.restarts, detail,
            !stopping_ && (hung || status.abnormal())});
  }
  if (stopping_)
    return;
  if (!hung && !status.signaled && status.code == config_error_exit_code) {
    // The node's configuration is wrong: a restart would fail the same way.
    auto said = n.process.last_stderr_line();
    auto why = "node '" + spec.name + "' stopped with a configuration error (" + status.describe()
               + ")" + (said.empty() ? "" : ": " + said) + "; stopping deployment '" + plan_.name
               + "'";
    failure_ = error{errc::config_error, why};
    n.done = true;
    report({"give_up", spec.name, 0, n.restarts, why});
    shutdown("configuration error of node " + spec.name);
    return;
  }
  bool abnormal = hung || status.abnormal();
  if (!should_restart(spec.restart.kind, abnormal)) {
    n.done = true;
    return;
  }
  if (!n.intensity.record_failure(clock_type::now())) {
    auto& limits = spec.restart.limits;
    auto why = "node '" + spec.name + "' failed " + std::to_string(n.intensity.recent())
               + " times within " + seconds_text(limits.within) + " (limit "
               + std::to_string(limits.max_restarts) + " restarts); stopping deployment '"
               + plan_.name + "'";
    failure_ = error{errc::restart_limit, why};
    report({"give_up", spec.name, 0, n.restarts, why});
    shutdown("restart limit of node " + spec.name);
    return;
  }
  n.restart_at = clock_type::now() + n.intensity.backoff();
}

void launcher::read_heartbeats(const std::vector<int>& ready) {
  auto now = clock_type::now();
  for (auto& n : nodes_) {
    int fd = n.process.heartbeat_fd();
    if (fd < 0 || std::find(ready.begin(), ready.end(), fd) == ready.end())
      continue;
    char buf[64];
    for (;;) {
      auto got = ::read(fd, buf, sizeof buf);
      if (got > 0) {
        n.last_beat = now;
        n.beat_seen = true;
        continue;
      }
      if (got == 0)
        n.process.close_heartbeat(); // the node is gone or closed it
      break;
    }
  }
}

void launcher::reap() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == guard_pid_) {
      guard_pid_ = -1;
      continue;
    }
    for (auto& n : nodes_) {
      if (n.process.pid() != pid || !n.process.running())
        continue;
      auto exit = exit_status::from_wait(status);
      n.process.pass_stderr(); // its last words, before they are reported
      n.process.reaped(exit);
      guard_forget(launcher_guard{guard_fd_, guard_pid_}, pid);
      on_exit(n, exit);
      break;
    }
    // Anything else is an orphan of a node, adopted as subreaper: reaped.
  }
}

void launcher::check_heartbeats() {
  auto now = clock_type::now();
  for (auto& n : nodes_) {
    if (!n.process.running() || n.hung || !n.watched())
      continue;
    auto limit = n.beat_seen ? n.spec->restart.heartbeat_timeout : n.spec->restart.start_timeout;
    auto since = n.beat_seen ? n.last_beat : n.started;
    if (now - since <= limit)
      continue;
    n.hung = true;
    report({"hang", n.spec->name, n.process.pid(), n.restarts,
            "no heartbeat for " + std::to_string(ms_between(since, now)) + " ms (limit "
                + std::to_string(limit.count()) + " ms), killing it"});
    n.process.signal(SIGKILL);
  }
}

void launcher::start_due() {
  auto now = clock_type::now();
  for (auto& n : nodes_) {
    if (stopping_)
      return;
    if (n.restart_at && *n.restart_at <= now) {
      n.restart_at.reset();
      ++n.restarts;
      start(n);
    }
  }
}

void launcher::pass_stderr() {
  for (auto& n : nodes_)
    n.process.pass_stderr();
}

bool launcher::busy() const {
  for (auto& n : nodes_)
    if (n.process.running() || n.restart_at)
      return true;
  return false;
}

// -- stopping ---------------------------------------------------------------------

void launcher::remove_segments() {
  auto removed = remove_shm_segments(plan_.shm_prefix());
  if (removed.empty())
    return;
  std::string names;
  for (auto& name : removed)
    names += (names.empty() ? "" : ", ") + name;
  report({"cleanup",
          {},
          0,
          0,
          "removed " + std::to_string(removed.size()) + " shared-memory segment(s): " + names});
}

void launcher::shutdown(const std::string& why) {
  stopping_ = true;
  report({"stop", {}, 0, 0, why});
  for (auto& n : nodes_)
    n.restart_at.reset();
  // Newest first, like the supervisor: consumers go before their producers.
  for (auto i = nodes_.size(); i-- > 0;)
    if (nodes_[i].process.running())
      nodes_[i].process.signal(SIGTERM);
  auto deadline = clock_type::now() + plan_.grace;
  for (;;) {
    pass_stderr();
    reap();
    bool any = false;
    for (auto& n : nodes_)
      any = any || n.process.running();
    if (!any || clock_type::now() >= deadline)
      break;
    std::this_thread::sleep_for(milliseconds{10});
  }
  for (auto i = nodes_.size(); i-- > 0;) {
    auto& n = nodes_[i];
    if (!n.process.running())
      continue;
    report(
        {"kill", n.spec->name, n.process.pid(), n.restarts,
         "still running after the grace period of " + std::to_string(plan_.grace.count()) + " ms"});
    n.process.kill_and_reap();
    report({"exit", n.spec->name, n.process.pid(), n.restarts, "killed"});
  }
  remove_segments();
}

// -- the loop ---------------------------------------------------------------------

expected<void> launcher::run() {
  DXHUB_TRYV(check_programs());
  // Orphans of the nodes (grandchildren) are adopted and reaped here.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Segments of an earlier run that was killed too hard to clean up.
  remove_segments();
  auto guard = start_launcher_guard(plan_.shm_prefix(), options_.run_dir);
  if (!guard)
    return guard.error();
  guard_fd_ = guard.value().fd;
  guard_pid_ = guard.value().pid;
  report({"guard",
          {},
          guard_pid_,
          0,
          "removes segments '" + plan_.shm_prefix() + "*' if the launcher dies"});
  for (auto& n : nodes_) {
    if (n.local)
      start(n);
    else
      report({"skip", n.spec->name, 0, 0, "runs on host '" + n.spec->host + "', not started here"});
    if (stopping_)
      break;
  }
  while (!stopping_ && busy()) {
    std::vector<pollfd> fds{{stop_pipe_[0], POLLIN, 0}};
    for (auto& n : nodes_)
      if (n.process.heartbeat_fd() >= 0)
        fds.push_back({n.process.heartbeat_fd(), POLLIN, 0});
    for (auto& n : nodes_)
      if (n.process.stderr_fd() >= 0)
        fds.push_back({n.process.stderr_fd(), POLLIN, 0});
    auto wait = options_.tick;
    auto now = clock_type::now();
    for (auto& n : nodes_)
      if (n.restart_at)
        wait = std::min(wait, std::chrono::duration_cast<milliseconds>(*n.restart_at - now)
                                  + milliseconds{1});
    int ready =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, wait.count())));
    if (ready < 0 && errno != EINTR)
      return last_system_error("poll");
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
      shutdown("stop requested");
      break;
    }
    std::vector<int> beating;
    for (std::size_t i = 1; ready > 0 && i < fds.size(); ++i)
      if (fds[i].revents != 0)
        beating.push_back(fds[i].fd);
    pass_stderr();
    read_heartbeats(beating);
    reap();
    if (stopping_)
      break;
    check_heartbeats();
    start_due();
    if (options_.on_tick)
      options_.on_tick();
  }
  pass_stderr();
  if (!stopping_)
    remove_segments(); // every node ended on its own
  ::close(guard_fd_);
  guard_fd_ = -1;
  if (guard_pid_ > 0)
    ::waitpid(guard_pid_, nullptr, 0);
  guard_pid_ = -1;
  if (failure_)
    return failure_;
  return ok();
}

} // namespace dxhub::launch
