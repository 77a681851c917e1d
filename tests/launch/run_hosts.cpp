// One deployment file, three hosts: network namespaces made by the test,
// joined by a bridge, each with a /dev/shm of its own, each running
// `dxhub run FILE --host X` of the same file with [security] on (CURVE on
// every tcp socket, keys made by `dxhub keygen --deployment FILE`).
//
//   host a (169.254.30.1): the registry (embedded in a's run), the camera
//   host b (169.254.30.2): the centroid analysis
//   host c (169.254.30.3): two controllers (cam0 on a, centroid0 on b) and
//                          the audit logger, whose log the test reads
//   host d (169.254.30.4): no node; `dxhub send` with a key on the
//                          allow-list gets its answer, with a stranger's key
//                          nothing
//
// Then host b hangs (its processes stopped, its kernel still answering
// TCP): the calls pending to it fail with peer_down once ZMTP heartbeats go
// unanswered, and so, at once, do those made after that. Then it is torn down (every process of its
// namespace killed, the namespace gone with them): its services expire from the registry, and once
// b runs again they come back and frames flow again.
//
// DXHUB_KEEP_TEST_DIR=1 keeps the scratch directory (deployment, keys, the
// runs' stderr, c/audit.jsonl) for a look after a failure.
//
// Needs root, iproute2, unshare and nsenter; without them the test is
// skipped (exit code 77, which CTest reports as skipped). As in
// runtime.placements, `ip netns` is not used: it needs "/" to be a mount
// point, which a chroot lacks; a namespace lives as long as its processes.

#define CAF_SUITE launch.run_hosts
#include "dxhub/tests/launch/dxhub_run.hpp"
#include "dxhub/tests/support/network_host.hpp"

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <set>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

constexpr int skipped = 77;

const std::string subnet = "169.254.30.";

std::string address_of(const std::string& host) {
  return subnet + std::to_string(host[0] - 'a' + 1);
}

std::string registry_endpoint() {
  return "tcp://" + address_of("a") + ":5750";
}

bool shell(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

/// Whether this process may make network namespaces and veth pairs.
bool can_make_hosts(std::string& why) {
  if (geteuid() != 0) {
    why = "not root";
    return false;
  }
  if (!shell("command -v ip && command -v unshare && command -v nsenter")) {
    why = "ip, unshare or nsenter missing";
    return false;
  }
  if (!shell("unshare --net ip link add dxprobe type bridge")) {
    why = "cannot make a network namespace with a bridge (unshare --net)";
    return false;
  }
  return true;
}

/// The network namespace of `pid` ("net:[4026532...]"), "" once it is gone.
std::string net_ns_of(pid_t pid) {
  std::error_code ec;
  auto link = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/net", ec);
  return ec ? std::string{} : link.string();
}

/// Whether `ns` is a namespace this test made: never the one the test runs
/// in, nor init's (killing "every process of" those would kill the machine's).
bool made_here(const std::string& ns) {
  return !ns.empty() && ns != net_ns_of(::getpid()) && ns != net_ns_of(1);
}

/// The namespace of a process just started into a new one: it has left ours
/// once `unshare` ran (bounded wait); "" if it has not, or ended.
std::string new_ns_of(pid_t pid) {
  std::string ns;
  ::dxhub::test::wait_until(
      [&] {
        ns = net_ns_of(pid);
        return ns.empty() || made_here(ns);
      },
      10s, 10ms);
  return made_here(ns) ? ns : std::string{};
}

/// Kills every process in network namespace `ns` (one the test made, see
/// `made_here`; any other is refused) and waits (bounded) until none is
/// left: a host that loses power.
bool kill_namespace(const std::string& ns) {
  if (!made_here(ns))
    return false;
  auto left = [&] {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator{"/proc", ec}) {
      auto name = e.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
        continue;
      auto pid = static_cast<pid_t>(std::stol(name));
      if (pid != ::getpid() && net_ns_of(pid) == ns)
        found.push_back(pid);
    }
    return found;
  };
  return ::dxhub::test::wait_until(
      [&] {
        auto pids = left();
        for (auto pid : pids)
          if (net_ns_of(pid) == ns) // not a reused pid of another namespace
            ::kill(pid, SIGKILL);
        return pids.empty();
      },
      10s, 50ms);
}

/// Stops (SIGSTOP) every process in network namespace `ns` (one the test
/// made): a host that hangs, its kernel still answering TCP.
void freeze_namespace(const std::string& ns) {
  if (!made_here(ns))
    return;
  for (int pass = 0; pass < 2; ++pass) { // the second catches a fork of the first
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator{"/proc", ec}) {
      auto name = e.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
        continue;
      auto pid = static_cast<pid_t>(std::stol(name));
      if (pid != ::getpid() && net_ns_of(pid) == ns)
        ::kill(pid, SIGSTOP);
    }
  }
}

/// The host's command: the environment of this test's run (its registry,
/// its segment prefix) does not reach the hosts.
std::vector<std::string> host_command(std::vector<std::string> prefix,
                                      std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"env", "-u", "DXHUB_REGISTRY", "-u", "DXHUB_SHM_PREFIX"});
  return dxhub::test::network_host_command(std::move(prefix), argv);
}

struct cli_outcome {
  int code = -1000;
  std::string out;
  std::string err;
};

/// The deployment: the same file on every host.
std::string deployment_text(const std::string& name) {
  return R"([deployment]
name = ")"
         + name + R"("
grace_ms = 2000

[restart]
kind = "permanent"
max_restarts = 5
within_s = 60
backoff_ms = 100
heartbeat_timeout_ms = 5000

[registry]
host = "a"                      # embedded in host a's `dxhub run`, port 5750

[security]
key_dir = "keys"                # keys/<node>.key, keys/registry.key, keys/allowed.keys

[[hosts]]
name = "a"
address = ")"
         + address_of("a") + R"("

[[hosts]]
name = "b"
address = ")"
         + address_of("b") + R"("

[[hosts]]
name = "c"
address = ")"
         + address_of("c") + R"("

[[nodes]]
name = "camera"
host = "a"

  [[nodes.actors]]
  type = "simulated_camera"
  name = "cam0"
  params = { width = 64, height = 48, rate_hz = 50.0, stats_period_ms = 200 }
  publishes = [")"
         + name + R"(/cam0/raw"]

[[nodes]]
name = "analysis"
host = "b"

  [[nodes.actors]]
  type = "centroid"
  name = "centroid0"
  params = { stats_period_ms = 200 }
  subscribes = [")"
         + name + R"(/cam0/raw"]

[[nodes]]
name = "logger"
host = "c"

  [[nodes.actors]]
  type = "audit_logger"
  name = "audit"
  params = { path = "audit.jsonl" }

[[nodes]]
name = "control"
host = "c"

  [[nodes.actors]]
  type = "controller"
  name = "ctl0"
  params = { target = "cam0", interval_ms = 100, start_delay_ms = 200, timeout_ms = 30000, script = [ "get_state" ] }

  [[nodes.actors]]
  type = "controller"
  name = "ctl1"
  params = { target = "centroid0", interval_ms = 100, start_delay_ms = 200, timeout_ms = 30000, script = [ "get_state" ] }
)";
}

struct hosts_fixture {
  std::string name = unique_name("hosts");
  std::string tag = std::to_string(::getpid() % 1000000); // names of at most 15 characters
  std::filesystem::path dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::path file = dir / "hosts.toml";
  std::unique_ptr<child_process> bridge;
  std::map<std::string, std::unique_ptr<child_process>> hosts;
  /// Every namespace the test made, emptied at the end whatever happened.
  std::set<std::string> namespaces;
  std::map<std::string, std::string> host_ns;
  std::vector<json> log;
  int links = 0;
  std::vector<std::string> links_made;

  hosts_fixture() { std::filesystem::create_directories(dir); }

  ~hosts_fixture() {
    // Only namespaces recorded once their process had left ours.
    for (const auto& ns : namespaces)
      kill_namespace(ns);
    hosts.clear();
    bridge.reset();
    // A veth pair that never left this namespace (a failed move) is ours to
    // delete; one that did went with its namespace.
    for (const auto& link : links_made)
      if (shell("ip link show " + link))
        shell("ip link del " + link);
    // The runs' socket directories ("<name>-<pid>"); a run killed with its
    // guard (host b's) leaves its own behind.
    std::error_code ignored;
    for (const auto& e : std::filesystem::directory_iterator{default_runtime_dir(), ignored})
      if (e.path().filename().string().rfind(name + "-", 0) == 0)
        std::filesystem::remove_all(e.path(), ignored);
    if (std::getenv("DXHUB_KEEP_TEST_DIR") == nullptr) // to look at the logs
      std::filesystem::remove_all(dir, ignored);
  }

  std::string dxhub() const { return built_program("apps/dxhub"); }

  /// The bridge all hosts plug into, in a namespace of its own.
  void start_bridge() {
    bridge = std::make_unique<child_process>(std::vector<std::string>{
        "/usr/bin/env", "unshare", "--net", "sh", "-c",
        "ip link set lo up && ip link add dxbr type bridge && ip link set dxbr up"
        " && echo READY && exec sleep 600"});
    auto line = bridge->read_line(20s);
    CAF_REQUIRE(line && *line == "READY");
    auto ns = new_ns_of(bridge->pid());
    CAF_REQUIRE(!ns.empty());
    namespaces.insert(ns);
  }

  /// Starts `argv` as host `host` (a new namespace) and plugs it into the bridge.
  void start_host(const std::string& host, const std::vector<std::string>& argv) {
    // Numbered: a torn-down namespace's veth pair may outlive its processes
    // for a moment (the kernel removes namespaces asynchronously).
    auto link = host + std::to_string(links++) + tag;
    auto inside = "dxh" + link;
    auto outside = "dxs" + link;
    auto process = std::make_unique<child_process>(
        host_command({"/usr/bin/env", "unshare", "--net"}, argv),
        std::vector<std::string>{"DX_IF=" + inside, "DX_ADDR=" + address_of(host)});
    auto pid = std::to_string(process->pid());
    auto ns = new_ns_of(process->pid());
    hosts[host] = std::move(process);
    host_ns[host] = ns;
    CAF_REQUIRE(!ns.empty());
    namespaces.insert(ns);
    auto sw = std::to_string(bridge->pid());
    links_made.push_back(outside); // deleted at the end if it stayed here
    bool linked = shell("ip link add " + inside + " type veth peer name " + outside)
                  && shell("ip link set " + inside + " netns " + pid)
                  && shell("ip link set " + outside + " netns " + sw)
                  && shell("nsenter --net=/proc/" + sw + "/ns/net ip link set " + outside
                           + " master dxbr up");
    CAF_REQUIRE(linked);
  }

  std::filesystem::path err_file(const std::string& host) const { return dir / (host + ".err"); }

  /// `dxhub run FILE [--host X]` as host `host` (workdir dir/<host>).
  void start_run(const std::string& host, bool name_the_host = true) {
    std::vector<std::string> argv{
        "/bin/sh",     "-c",        "exec \"$@\" 2>>" + err_file(host).string(),
        "sh",          dxhub(),     "run",
        file.string(), "--workdir", (dir / host).string(),
        "--json"};
    if (name_the_host) {
      argv.push_back("--host");
      argv.push_back(host);
    }
    start_host(host, argv);
  }

  /// A host with no node: a process that sleeps, for commands run on it.
  void start_idle(const std::string& host) { start_host(host, {"/bin/sleep", "600"}); }

  /// `dxhub ARGS` on host `host` (in its namespace), with CURVE key `key`.
  cli_outcome cli_on(const std::string& host, const std::vector<std::string>& args,
                     const std::string& key) {
    auto err = dir / ("cli-" + host + ".err");
    std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$@\" 2>" + err.string(), "sh", dxhub()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto net = "--net=/proc/" + std::to_string(hosts.at(host)->pid()) + "/ns/net";
    child_process p{host_command({"/usr/bin/env", "nsenter", net}, argv),
                    {"DX_WAIT_ADDR=" + address_of(host), "DXHUB_CURVE_SECRET=" + key,
                     "DXHUB_REGISTRY_PUBLIC=" + (dir / "keys" / "registry.key.pub").string()}};
    cli_outcome r;
    r.out = p.read_all(30s);
    r.code = p.exit_code(30s).value_or(-999);
    r.err = text_of(err);
    return r;
  }

  // -- the audit log host c's logger writes ---------------------------------

  void read_log() {
    log.clear();
    std::ifstream in{dir / "c" / "audit.jsonl"};
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object())
        log.push_back(std::move(j));
    }
  }

  /// Polls the audit log until `done` holds (bounded).
  bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit = 30s) {
    return ::dxhub::test::wait_until(
        [&] {
          read_log();
          return done();
        },
        limit, 100ms);
  }

  std::vector<std::size_t> find(const std::string& target, const std::string& action,
                                std::size_t first = 0) const {
    std::vector<std::size_t> found;
    for (auto i = first; i < log.size(); ++i)
      if (log[i].value("target", "") == target && log[i].value("action", "") == action)
        found.push_back(i);
    return found;
  }

  const json& args(std::size_t i) const { return log[i]["args"]; }

  /// The frames the centroid counted by its last stats event from `first` on.
  uint64_t centroid_frames(std::size_t first = 0) const {
    auto stats = find("centroid0/stats", "stats", first);
    return stats.empty() ? 0 : args(stats.back()).value("frames", uint64_t{0});
  }

  /// The index of the first step of controller `ctl` from `first` on with
  /// outcome `ok`, or nullopt.
  std::optional<std::size_t> step(const std::string& ctl, bool ok, std::size_t first = 0) const {
    for (auto i : find(ctl + "/step", "step", first))
      if (args(i).value("ok", !ok) == ok)
        return i;
    return std::nullopt;
  }

  void show_stderr() const {
    for (auto host : {"a", "b", "c"})
      CAF_MESSAGE("host " << host << " stderr:\n" << text_of(err_file(host)));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(run_hosts_tests, hosts_fixture)

CAF_TEST(three_hosts_run_one_file_with_curve_and_survive_the_loss_of_one) {
  std::string why;
  if (!can_make_hosts(why)) {
    std::printf("SKIPPED: launch.run_hosts needs root, iproute2, unshare and nsenter (%s)\n",
                why.c_str());
    std::fflush(stdout);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored); // _Exit runs no destructor
    std::_Exit(skipped);
  }
  std::ofstream{file} << deployment_text(name);
  // Every key the file names, and the allow-list.
  child_process keygen{{dxhub(), "keygen", "--deployment", file.string(), "--json"}};
  auto made = json::parse(keygen.read_all(20s), nullptr, false);
  CAF_REQUIRE_EQUAL(keygen.exit_code(20s), 0);
  CAF_REQUIRE(!made.is_discarded() && made["keys"].size() == 5u); // 4 nodes + registry
  // A key pair of no node of the deployment.
  child_process stranger_keygen{
      {dxhub(), "keygen", (dir / "stranger").string(), "--name", "stranger"}};
  CAF_REQUIRE_EQUAL(stranger_keygen.exit_code(20s), 0);

  start_bridge();
  start_run("a");
  start_run("b");
  // Host c is not named: `dxhub run` finds it by its address.
  start_run("c", false);

  // Frames a -> b (the centroid counts them; its stats events travel b -> a
  // -> c), commands c -> a and c -> b, all over CURVE.
  bool flowing = wait_until(
      [&] { return centroid_frames() > 20 && step("ctl0", true) && step("ctl1", true); });
  if (!flowing)
    show_stderr();
  CAF_REQUIRE(flowing);
  CAF_CHECK(text_of(err_file("c")).find("host c") != std::string::npos);
  // Events of every host reach the logger on c: the camera's (a), the
  // centroid's (b), the controllers' (c).
  auto from = [&](const std::string& caller_prefix) {
    for (const auto& line : log)
      if (line.value("kind", "") == "event"
          && line.value("caller", "").rfind(caller_prefix, 0) == 0)
        return true;
    return false;
  };
  CAF_CHECK(wait_until([&] { return from("camera/cam0") && from("analysis/centroid0"); }));
  CAF_CHECK(from("control/ctl0") && from("control/ctl1"));
  // The calls cam0 and centroid0 answered are audited where they are served
  // and reach the log on c.
  CAF_CHECK(wait_until([&] {
    return !find("cam0", "get_state").empty() && !find("centroid0", "get_state").empty();
  }));

  // Host d: a key on the allow-list (the control node's) gets cam0's
  // answer; a stranger's key gets nothing.
  start_idle("d");
  auto allowed = cli_on("d",
                        {"send", "cam0", "get_state", "--registry", registry_endpoint(),
                         "--timeout-ms", "10000", "--json"},
                        (dir / "keys" / "control.key").string());
  CAF_MESSAGE("allowed key: " << allowed.code << " " << allowed.out << " " << allowed.err);
  CAF_CHECK_EQUAL(allowed.code, 0);
  auto answer = json::parse(allowed.out, nullptr, false);
  CAF_CHECK(!answer.is_discarded() && answer.contains("result"));
  auto stranger = cli_on("d",
                         {"send", "cam0", "get_state", "--registry", registry_endpoint(),
                          "--timeout-ms", "3000", "--json"},
                         (dir / "stranger" / "stranger.key").string());
  CAF_MESSAGE("stranger's key: " << stranger.code << " " << stranger.out << " " << stranger.err);
  CAF_CHECK_NOT_EQUAL(stranger.code, 0);
  CAF_CHECK(stranger.out.find("result") == std::string::npos);
  // Refused for its key (same host, same network as the allowed one).
  CAF_CHECK(stranger.err.find("refused the handshake") != std::string::npos);

  // Host b hangs (every process of its namespace stopped; its kernel still
  // answers TCP): the calls to centroid0 fail with peer_down once ZMTP
  // heartbeats go unanswered, not at their 30 s timeout.
  read_log();
  auto frames_before = centroid_frames();
  auto lost_at = log.size();
  freeze_namespace(host_ns["b"]);
  std::optional<std::size_t> failed;
  CAF_CHECK(wait_until([&] { return (failed = step("ctl1", false, lost_at)).has_value(); }));
  if (failed) {
    CAF_MESSAGE("first failed call to centroid0: " << log[*failed].dump());
    auto error = args(*failed).value("error", "");
    CAF_CHECK(error.rfind("peer down", 0) == 0 || error.rfind("peer_down", 0) == 0);
  }
  // Then it is lost: every process of its namespace killed, the namespace
  // (and its end of the link) gone with them.
  read_log();
  auto killed_at = log.size();
  CAF_REQUIRE(kill_namespace(host_ns["b"]));
  hosts["b"]->wait_for(5s);
  CAF_MESSAGE("host b torn down; the centroid had " << frames_before << " frames");
  // Its services and its node expire from the registry within the lease.
  CAF_CHECK(wait_until(
      [&] { return !find("dxhub/registry/service/centroid0", "expired", lost_at).empty(); }));
  // Until then every call to centroid0 failed with peer_down: those pending
  // when the hang was noticed, and those made after it (the connection is
  // known to be down: they do not wait for their timeout). The registry's
  // "expired" travels a -> c while the controller's failures are c's own, so
  // a failure that met the expired record (unknown service) may come first.
  read_log();
  auto expired_at = log.size();
  std::size_t down_calls = 0, after_kill = 0;
  for (auto i : find("ctl1/step", "step", lost_at)) {
    if (args(i).value("ok", false))
      continue;
    auto error = args(i).value("error", "");
    if (error.rfind("peer down", 0) == 0) {
      ++down_calls;
      after_kill += i >= killed_at ? 1 : 0;
    } else if (error.rfind("unknown service", 0) != 0) {
      CAF_FAIL("a call to centroid0 failed with neither peer_down nor unknown_service: " << error);
    }
  }
  CAF_MESSAGE(down_calls << " calls to centroid0 failed with peer_down while host b was down, "
                         << after_kill << " of them reported after the kill");
  CAF_CHECK_GREATER_OR_EQUAL(down_calls, 2u);
  // Made after the connection was known to be down, they failed at once
  // (else they would wait for their 30 s timeout, long after this point).
  CAF_CHECK_GREATER_OR_EQUAL(after_kill, 1u);
  // Host a's camera and host c's controller of cam0 are untouched.
  CAF_CHECK(wait_until([&] { return step("ctl0", true, expired_at).has_value(); }));

  // Host b runs again: its services come back, frames flow again.
  start_run("b");
  bool back = wait_until([&] {
    auto ok = step("ctl1", true, expired_at);
    return ok && centroid_frames(expired_at) > 20;
  });
  if (!back)
    show_stderr();
  CAF_CHECK(back);
  CAF_CHECK(!find("dxhub/registry/service/centroid0", "appeared", expired_at).empty());

  // Stopped on request, the surviving runs end cleanly.
  for (auto host : {"a", "b", "c"})
    hosts[host]->kill(SIGTERM);
  for (auto host : {"a", "b", "c"})
    CAF_CHECK_EQUAL(hosts[host]->exit_code(20s), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
