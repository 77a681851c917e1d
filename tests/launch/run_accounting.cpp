// The summary of `dxhub run` under a kill storm: the camera node killed with
// -9 ten times, each time once its new session is in the audit log, must
// count 10 crashes (every node exit the launcher saw, not only those that
// announced themselves) and 11 camera sessions (every session, also one
// killed before its first stats event).

#define CAF_SUITE launch.run_accounting
#include "dxhub/tests/launch/dxhub_run.hpp"

#include <csignal>
#include <set>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

const char* storm_deployment = R"([deployment]
name = "@NAME@"
grace_ms = 3000

[restart]
kind = "permanent"
max_restarts = 30
within_s = 60
backoff_ms = 20
heartbeat_timeout_ms = 5000

[[nodes]]
name = "logger"

  [[nodes.actors]]
  type = "audit_logger"
  name = "audit"
  params = { path = "audit.jsonl" }

[[nodes]]
name = "camera"

  [[nodes.actors]]
  type = "simulated_camera"
  name = "cam0"
  params = { width = 32, height = 16, rate_hz = 50.0, stats_period_ms = 1000 }
  publishes = ["@NAME@/cam0/raw"]
)";

struct storm_fixture : run_fixture {
  /// The sessions of cam0 in the audit log so far.
  std::set<uint64_t> sessions() const {
    std::set<uint64_t> out;
    for (const auto& r : log)
      if (r.value("target", "").rfind("cam0/", 0) == 0 && r.contains("args")
          && r["args"].is_object() && r["args"].contains("session"))
        out.insert(r["args"]["session"].get<uint64_t>());
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(run_accounting_tests, storm_fixture)

CAF_TEST(ten_kill_9_of_the_camera_node_count_10_crashes_and_11_sessions) {
  std::string toml = storm_deployment;
  for (auto at = toml.find("@NAME@"); at != std::string::npos; at = toml.find("@NAME@", at))
    toml.replace(at, 6, name);
  auto summary_file = dir / "summary.json";
  start(write_deployment(toml, "storm.toml"), {"--summary-file", summary_file.string()});
  bool up = wait_until([&] { return sessions().size() == 1; });
  if (!up)
    show_stderr();
  CAF_REQUIRE(up);
  for (std::size_t kill = 1; kill <= 10; ++kill) {
    auto camera = node_pids(run->pid())["camera"];
    CAF_REQUIRE(camera > 0);
    CAF_REQUIRE_EQUAL(::kill(camera, SIGKILL), 0);
    // Back: a new camera process, and its session in the audit log.
    bool back = wait_until([&] {
      auto now = node_pids(run->pid());
      return sessions().size() == kill + 1 && now.count("camera") && now["camera"] != camera;
    });
    if (!back)
      show_stderr();
    CAF_REQUIRE(back);
  }
  run->kill(SIGTERM);
  auto out = run->read_all(30s);
  CAF_REQUIRE_EQUAL(run->exit_code(30s).value_or(-1), 0);
  auto summary = json::parse(out, nullptr, false);
  CAF_REQUIRE(!summary.is_discarded());
  CAF_MESSAGE("summary: " << summary.dump());
  CAF_CHECK_EQUAL(summary["crashes"].get<uint64_t>(), 10u);
  CAF_CHECK_EQUAL(summary["node_crashes"].get<uint64_t>(), 10u);
  CAF_CHECK_EQUAL(summary["node_crashes_by_node"].value("camera", uint64_t{0}), 10u);
  CAF_CHECK_EQUAL(summary["node_restarts"].get<uint64_t>(), 10u);
  CAF_CHECK_EQUAL(summary["sessions"].get<uint64_t>(), 11u);
  CAF_CHECK_EQUAL(summary["cameras"]["cam0"].size(), 11u);
  // The same in the summary file, and the launcher's exits in the audit log.
  auto from_file = json::parse(text_of(summary_file), nullptr, false);
  CAF_CHECK_EQUAL(from_file.value("crashes", uint64_t{0}), 10u);
  read_log();
  std::size_t crashed_exits = 0;
  for (auto i : find("dxhub/launcher/camera", "exit"))
    if (args(i).value("crashed", false))
      ++crashed_exits;
  CAF_CHECK_EQUAL(crashed_exits, 10u);
}

CAF_TEST_FIXTURE_SCOPE_END()
