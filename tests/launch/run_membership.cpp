// One run, its own nodes: `dxhub run` gives its nodes a run token, and its
// registry refuses the records of a node started by hand with the same
// deployment file and node name (no token), and of a second live node of
// the same name (the right token, another process), reporting each on the
// run's stderr and in its summary instead of letting the two flap. A node
// that cannot bind its endpoint (a port the test holds) exits with code 2
// and a message naming node and endpoint; the launcher does not restart it
// but stops the run, which exits 1 with that message.

#define CAF_SUITE launch.run_membership
#include "dxhub/tests/launch/dxhub_run.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <set>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

/// A camera node and a logger node; the registry at a socket of the test's
/// directory so that the test can point a stray node at it.
const char* two_nodes = R"([deployment]
name = "@NAME@"
grace_ms = 3000

[restart]
kind = "permanent"
max_restarts = 5
within_s = 60
backoff_ms = 100
heartbeat_timeout_ms = 5000

[[nodes]]
name = "logger"

  [[nodes.actors]]
  type = "audit_logger"
  name = "audit"
  params = { path = "audit.jsonl" }

[[nodes]]
name = "camera"
@ENDPOINT@
  [[nodes.actors]]
  type = "simulated_camera"
  name = "cam0"
  params = { width = 32, height = 16, rate_hz = 20.0, stats_period_ms = 200 }
  publishes = ["@NAME@/cam0/raw"]
)";

/// A value of the environment of process `pid` ("" when absent).
std::string environment_of(pid_t pid, const std::string& key) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/environ"};
  for (std::string entry; std::getline(in, entry, '\0');)
    if (entry.rfind(key + "=", 0) == 0)
      return entry.substr(key.size() + 1);
  return {};
}

struct membership_fixture : run_fixture {
  std::string registry = "ipc://" + (dir / "registry").string();
  std::string stray_prefix = unique_name("dxstray") + ".";

  ~membership_fixture() {
    std::error_code ignored;
    for (auto& seg : segments(stray_prefix))
      std::filesystem::remove("/dev/shm/" + seg, ignored);
  }

  std::filesystem::path deployment(const std::string& endpoint_line = "") {
    std::string toml = two_nodes;
    for (auto at = toml.find("@NAME@"); at != std::string::npos; at = toml.find("@NAME@", at))
      toml.replace(at, 6, name);
    toml.replace(toml.find("@ENDPOINT@"), 10, endpoint_line);
    return write_deployment(toml, "two_nodes.toml");
  }

  /// The sessions of cam0 in the audit log so far.
  std::set<uint64_t> sessions() const {
    std::set<uint64_t> out;
    for (const auto& r : log)
      if (r.value("target", "").rfind("cam0/", 0) == 0 && r.contains("args")
          && r["args"].is_object() && r["args"].contains("session"))
        out.insert(r["args"]["session"].get<uint64_t>());
    return out;
  }

  /// `dxhub-node --deployment FILE --node camera` started by hand against
  /// the run's registry, with `env` (e.g. a run token) and stderr in `err`.
  std::unique_ptr<child_process> stray(const std::filesystem::path& file,
                                       const std::filesystem::path& err,
                                       std::vector<std::string> env = {}) {
    auto own_dir = dir / unique_name("stray");
    std::filesystem::create_directories(own_dir);
    env.push_back("DXHUB_REGISTRY=" + registry);
    env.push_back("DXHUB_RUNTIME_DIR=" + own_dir.string());
    env.push_back("DXHUB_SHM_PREFIX=" + stray_prefix);
    std::vector<std::string> argv{"/bin/sh",
                                  "-c",
                                  "unset DXHUB_HEARTBEAT_FD; exec \"$@\" 2>" + err.string(),
                                  "sh",
                                  built_program("apps/dxhub-node"),
                                  "--deployment",
                                  file.string(),
                                  "--node",
                                  "camera"};
    return std::make_unique<child_process>(std::move(argv), std::move(env));
  }

  /// Waits until `file` contains `text`.
  bool wait_for_text(const std::filesystem::path& file, const std::string& text,
                     std::chrono::seconds limit = 20s) {
    return ::dxhub::test::wait_until([&] { return text_of(file).find(text) != std::string::npos; },
                                     limit, 50ms);
  }

  /// The pid the registry lists for node `node` (0: not listed), asked with `dxhub ls`.
  uint32_t listed_pid(const std::string& node) {
    child_process ls{
        {built_program("apps/dxhub"), "ls", "nodes", "--registry", registry, "--json"}};
    auto out = ls.read_all(20s);
    CAF_CHECK_EQUAL(ls.exit_code(20s).value_or(-1), 0);
    auto doc = json::parse(out, nullptr, false);
    if (doc.is_discarded() || !doc.contains("nodes"))
      return 0;
    for (const auto& n : doc["nodes"])
      if (n.value("name", "") == node)
        return n.value("pid", 0u);
    return 0;
  }

  /// Stops the run with SIGTERM; its summary (--json on stdout).
  json stop_run() {
    run->kill(SIGTERM);
    auto out = run->read_all(30s);
    CAF_CHECK_EQUAL(run->exit_code(30s).value_or(-1), 0);
    auto doc = json::parse(out, nullptr, false);
    if (doc.is_discarded())
      CAF_FAIL("no JSON summary: '" << out << "'");
    return doc;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(run_membership_tests, membership_fixture)

CAF_TEST(a_stray_node_of_the_same_name_is_refused_reported_and_stops) {
  auto file = deployment();
  start(file, {"--registry", registry});
  bool up = wait_until([&] { return !sessions().empty(); });
  if (!up)
    show_stderr();
  CAF_REQUIRE(up);
  auto camera = node_pids(run->pid())["camera"];
  CAF_REQUIRE(camera > 0);
  // Started by hand: the same file, the same node name, no run token.
  auto stray_err = dir / "stray.err";
  auto node = stray(file, stray_err);
  auto code = node->exit_code(20s);
  CAF_MESSAGE("stray stderr: " << text_of(stray_err));
  CAF_CHECK_EQUAL(code.value_or(-1), 2);
  CAF_CHECK(text_of(stray_err).find("is not a node of this run") != std::string::npos);
  auto line = "registry refused node 'camera' (pid " + std::to_string(node->pid()) + ")";
  bool reported = wait_for_text(err_file, line);
  if (!reported)
    show_stderr();
  CAF_CHECK(reported);
  // The run's own camera is still the one the registry knows, never restarted.
  CAF_CHECK_EQUAL(listed_pid("camera"), static_cast<uint32_t>(camera));
  // A copy: CAF_CHECK_EQUAL keeps a reference to its argument past the temporary map.
  auto camera_now = node_pids(run->pid())["camera"];
  CAF_CHECK_EQUAL(camera_now, camera);
  auto summary = stop_run();
  CAF_MESSAGE("summary: " << summary.dump());
  CAF_REQUIRE_EQUAL(summary["refused"].size(), 1u);
  CAF_CHECK_EQUAL(summary["refused"][0]["pid"].get<pid_t>(), node->pid());
  CAF_CHECK_EQUAL(summary["refused"][0]["code"].get<std::string>(), "unauthenticated");
  CAF_CHECK_EQUAL(summary["node_restarts"].get<uint64_t>(), 0u);
}

CAF_TEST(a_second_live_node_of_a_name_is_refused_instead_of_flapping) {
  auto file = deployment();
  start(file, {"--registry", registry});
  bool up = wait_until([&] { return !sessions().empty(); });
  if (!up)
    show_stderr();
  CAF_REQUIRE(up);
  auto camera = node_pids(run->pid())["camera"];
  CAF_REQUIRE(camera > 0);
  // The run's token, copied from the camera's environment: a member of the
  // run, but a second process under a name a live node holds.
  auto token = environment_of(camera, "DXHUB_RUN_TOKEN");
  CAF_REQUIRE(!token.empty());
  auto stray_err = dir / "twin.err";
  auto twin = stray(file, stray_err, {"DXHUB_RUN_TOKEN=" + token});
  auto line = "registry refused node 'camera' (pid " + std::to_string(twin->pid()) + ")";
  bool reported = wait_for_text(err_file, line);
  if (!reported)
    show_stderr();
  CAF_REQUIRE(reported);
  CAF_CHECK(wait_for_text(stray_err, "whose lease is alive"));
  CAF_CHECK(twin->running()); // it may take the name over once the owner is gone
  CAF_CHECK_EQUAL(listed_pid("camera"), static_cast<uint32_t>(camera));
  // The registry never announced the twin's record.
  read_log();
  for (auto i : find("dxhub/registry/node/camera", "appeared"))
    CAF_CHECK_NOT_EQUAL(args(i).value("pid", 0), twin->pid());
  twin->kill(SIGTERM);
  CAF_CHECK(twin->exit_code(20s).has_value());
  auto summary = stop_run();
  CAF_MESSAGE("summary: " << summary.dump());
  CAF_REQUIRE(!summary["refused"].empty());
  CAF_CHECK_EQUAL(summary["refused"][0]["code"].get<std::string>(), "already_exists");
}

CAF_TEST(a_node_that_cannot_bind_its_endpoint_stops_the_run_without_restarts) {
  // A port the test holds: the camera node cannot bind it.
  int held = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CAF_REQUIRE(held >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CAF_REQUIRE_EQUAL(::bind(held, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  CAF_REQUIRE_EQUAL(::listen(held, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(held, reinterpret_cast<sockaddr*>(&addr), &len);
  auto endpoint = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  start(deployment("endpoint = \"" + endpoint + "\"\n"), {"--registry", registry});
  auto code = run->exit_code(60s);
  ::close(held);
  auto err = text_of(err_file);
  CAF_MESSAGE("dxhub run stderr:\n" << err);
  CAF_CHECK_EQUAL(code.value_or(-1), 1);
  // The node's own message, and the run's last word with it.
  CAF_CHECK(err.find("dxhub-node camera: cannot open its network at " + endpoint)
            != std::string::npos);
  CAF_CHECK(err.find("node 'camera' stopped with a configuration error (exited with code 2): "
                     "dxhub-node camera: cannot open its network at "
                     + endpoint)
            != std::string::npos);
  CAF_CHECK(err.find("(restart 1)") == std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
