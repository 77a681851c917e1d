// `dxhub run` when things go badly: a node that crashes in a loop stops the
// deployment with a clear message and a non-zero exit code; `kill -9` of
// `dxhub run` itself leaves no node alive within 2 s and no segment behind.
// The deployment is tests/launch/deployments/three_nodes.toml.

#define CAF_SUITE launch.run_failures
#include "dxhub/tests/launch/dxhub_run.hpp"

#include <algorithm>
#include <csignal>

using namespace dxhub::test;
using namespace std::chrono_literals;

CAF_TEST_FIXTURE_SCOPE(run_failure_tests, run_fixture)

CAF_TEST(a_node_crashing_in_a_loop_stops_the_deployment_with_a_message_and_exit_code_1) {
  // The camera aborts its node process 0.3 s after every start; the
  // deployment allows 3 restarts within 60 s.
  auto text = deployment_text();
  const std::string params = "stats_period_ms = 200 }";
  auto at = text.find(params);
  CAF_REQUIRE(at != std::string::npos);
  text.replace(at, params.size(),
               "stats_period_ms = 200, crash_after_s = 0.3, crash_mode = \"abort\" }");
  start(write_deployment(text));
  std::vector<pid_t> seen;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (run->running() && std::chrono::steady_clock::now() < deadline) {
    for (auto& [node, pid] : node_pids(run->pid()))
      if (std::find(seen.begin(), seen.end(), pid) == seen.end())
        seen.push_back(pid);
    if (run->wait_for(50ms))
      break;
  }
  auto code = run->exit_code(10s);
  auto err = text_of(err_file);
  CAF_MESSAGE("stderr: " << err);
  CAF_CHECK_EQUAL(code, 1);
  CAF_CHECK(err.find("node 'camera' failed 4 times within 60 s (limit 3 restarts); stopping "
                     "deployment '"
                     + name + "'")
            != std::string::npos);
  // Every node the run started is gone, and so are the segments.
  CAF_CHECK(seen.size() >= 3u);
  CAF_CHECK(all_gone_within(seen, 2s));
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST(kill_9_of_dxhub_run_leaves_no_node_and_no_segment_within_2_s) {
  start();
  bool flowing = wait_until([&] { return centroid_frames() > 20; });
  if (!flowing)
    show_stderr();
  CAF_REQUIRE(flowing);
  std::vector<pid_t> pids;
  for (auto pid : children_of(run->pid())) // the nodes and the launcher's guard
    pids.push_back(pid);
  CAF_CHECK(pids.size() >= 4u);
  CAF_CHECK(!segments(prefix()).empty());
  run->kill(SIGKILL);
  CAF_CHECK(all_gone_within(pids, 2s));
  CAF_CHECK_EQUAL(run->exit_code(2s), -SIGKILL);
  // The guard removes the segments and the run's socket directory as it
  // goes (it is among `pids`).
  CAF_CHECK(segments(prefix()).empty());
  CAF_CHECK(run_dirs().empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
