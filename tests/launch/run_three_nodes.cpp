// `dxhub run` on a three-node deployment (camera, analysis, control) of the
// stock actors, with kill -9 of the camera node: the launcher restarts it, its
// channel and service come back, the centroid on the analysis node resumes
// with the new publisher session without being restarted, the controller's
// requests pending at the kill fail with an error (long before their
// timeout), and the restart is in the audit log as an event. Then SIGTERM
// stops everything within the grace period and leaves no segment.
//
// Everything is observed from outside, as an operator would: the audit log
// the logger actor writes, /proc for the node processes, /dev/shm.

#define CAF_SUITE launch.run_three_nodes
#include "dxhub/tests/launch/dxhub_run.hpp"

#include <csignal>
#include <set>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

/// How many requests of the controller wait for their answer (sent, neither
/// passed nor failed), as its `get_state` tells `dxhub send`; -1: no answer.
int64_t pending_requests(const std::string& registry) {
  child_process send{
      {built_program("apps/dxhub"), "send", "ctl0", "get_state", "--registry", registry, "--json"}};
  auto out = send.read_all(20s);
  if (send.exit_code(20s).value_or(-1) != 0)
    return -1;
  auto doc = json::parse(out, nullptr, false);
  if (doc.is_discarded() || !doc.contains("result"))
    return -1;
  const auto& s = doc["result"];
  return s.value("sent", int64_t{0}) - s.value("passed", int64_t{0})
         - s.value("failed", int64_t{0});
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(run_three_nodes_tests, run_fixture)

CAF_TEST(kill_9_of_a_node_brings_its_channel_and_service_back_and_fails_pending_requests) {
  auto registry = "ipc://" + (dir / "registry").string();
  start(write_deployment(deployment_text()), {"--registry", registry});
  // Running: frames reach the centroid, the controller's commands succeed.
  bool flowing = wait_until([&] {
    return centroid_frames() > 20 && step_ok_after(0) && node_pids(run->pid()).size() == 3;
  });
  if (!flowing)
    show_stderr();
  CAF_REQUIRE(flowing);
  auto before = node_pids(run->pid());
  std::set<uint64_t> sessions_before;
  for (auto i : find("centroid0/input", "channel"))
    if (args(i).value("state", "") == "attached")
      sessions_before.insert(args(i).value("session", uint64_t{0}));
  // Freeze the camera node first, until requests are surely in flight (the
  // controller asks every 100 ms; a few unanswered); then kill -9.
  ::kill(before["camera"], SIGSTOP);
  CAF_CHECK(::dxhub::test::wait_until([&] { return pending_requests(registry) >= 3; }, 20s));
  read_log();
  auto frames_at_kill = centroid_frames();
  ::kill(before["camera"], SIGKILL);
  read_log();
  auto killed_at = log.size();
  CAF_MESSAGE("camera node " << before["camera"] << " killed; centroid had " << frames_at_kill
                             << " frames");

  // The node is restarted: a new process, announced on the event bus.
  CAF_CHECK(wait_until([&] {
    auto now = node_pids(run->pid());
    return now.count("camera") && now["camera"] != before["camera"];
  }));
  // The restart is an event in the audit trail, and the new node's events
  // reach the bus: its supervisor started the camera again.
  CAF_CHECK(wait_until([&] { return !find("dxhub/launcher/camera", "restart").empty(); }));
  CAF_CHECK(
      wait_until([&] { return !find("dxhub/supervisor/camera", "start", killed_at).empty(); }));
  {
    std::set<std::string> seen;
    for (auto i = killed_at; i < log.size(); ++i)
      if (log[i].value("caller", "").rfind("camera", 0) == 0)
        seen.insert(log[i].value("target", "") + " " + log[i].value("action", ""));
    for (auto& s : seen)
      CAF_MESSAGE("after the kill, from the camera node: " << s);
  }
  // The requests pending at the kill fail with an error, well before their
  // 30 s timeout.
  std::size_t failed_at = 0;
  bool failed = wait_until([&] {
    for (auto i : find("ctl0/step", "step", killed_at))
      if (!args(i).value("ok", true)) {
        failed_at = i;
        return true;
      }
    return false;
  });
  CAF_REQUIRE(failed);
  CAF_MESSAGE("first failed step: " << log[failed_at].dump());
  // Not its timeout: the error says the peer went down.
  CAF_CHECK(args(failed_at).value("error", "").find("peer down") != std::string::npos);
  // The service is back: the controller's commands succeed again.
  CAF_CHECK(wait_until([&] { return step_ok_after(failed_at); }));
  // The channel is back and the centroid resumes with the new session.
  std::size_t attached_at = 0;
  CAF_CHECK(wait_until([&] {
    for (auto i : find("centroid0/input", "channel", killed_at))
      if (args(i).value("state", "") == "attached"
          && !sessions_before.count(args(i).value("session", uint64_t{0}))) {
        attached_at = i;
        return true;
      }
    return false;
  }));
  CAF_CHECK(wait_until([&] { return centroid_frames() > frames_at_kill + 20; }));
  CAF_MESSAGE("centroid frames after the restart: " << centroid_frames());

  // Nobody else was restarted: same analysis and control processes, no
  // actor restarted by their supervisors.
  auto after = node_pids(run->pid());
  CAF_CHECK_EQUAL(after["analysis"], before["analysis"]);
  CAF_CHECK_EQUAL(after["control"], before["control"]);
  CAF_CHECK(find("dxhub/supervisor/analysis", "restart").empty());
  CAF_CHECK(find("dxhub/supervisor/control", "restart").empty());
  CAF_CHECK(find("dxhub/launcher/analysis", "restart").empty());
  CAF_CHECK(find("dxhub/launcher/control", "restart").empty());

  // SIGTERM: all stopped within the grace period (none killed but the one
  // the test killed), nothing left behind.
  std::vector<pid_t> nodes;
  for (auto& [node, pid] : after)
    nodes.push_back(pid);
  run->kill(SIGTERM);
  auto code = run->exit_code(20s);
  show_stderr();
  CAF_CHECK_EQUAL(code, 0);
  auto err = text_of(err_file);
  std::size_t killed = 0;
  for (auto at = err.find("killed by signal"); at != std::string::npos;
       at = err.find("killed by signal", at + 1))
    ++killed;
  CAF_CHECK_EQUAL(killed, 1u);
  auto summary = json::parse(run->read_all(5s), nullptr, false);
  CAF_MESSAGE("summary: " << summary.dump());
  CAF_CHECK(!summary.is_discarded() && summary.value("node_restarts", 0) == 1);
  CAF_CHECK(all_gone_within(nodes, 2s));
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
