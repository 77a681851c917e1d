#define CAF_SUITE apps.cli_live
#include "dxhub/tests/apps/cli.hpp"

// Every command that talks to a deployment (`ls`, `inspect`, `send`, `tail`,
// `registry`), run as a real `dxhub` process against a live `dxhub run` with
// its embedded registry; `--json` output parsed; error cases by exit code
// and message.

#include <csignal>
#include <cstdlib>
#include <thread>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

std::string source_file(const std::string& relative) {
  const char* root = std::getenv("DXHUB_SOURCE_DIR");
  return std::string{root != nullptr ? root : "."} + "/" + relative;
}

bool has_named(const nlohmann::json& list, const std::string& key, const std::string& name) {
  if (!list.is_array())
    return false;
  for (const auto& item : list)
    if (item.value(key, "") == name)
      return true;
  return false;
}

/// `dxhub run` of tests/apps/deployments/live.toml, with its registry at a
/// socket of the test's own directory; stopped with SIGTERM at the end.
struct live_fixture : cli_fixture {
  std::string deployment;
  std::string registry;
  std::string run_err;
  child_process runner;

  live_fixture() : runner(start_run()) {}

  child_process start_run() {
    auto file =
        private_deployment(source_file("tests/apps/deployments/live.toml"), dir, deployment);
    registry = "ipc://" + (dir / "registry").string();
    run_err = (dir / "run.err").string();
    return start({"run", file.string(), "--duration", "60", "--workdir", dir.string(), "--registry",
                  registry, "--json"},
                 run_err);
  }

  ~live_fixture() {
    runner.kill(SIGTERM);
    auto r = finish(runner, run_err, 30s);
    CAF_MESSAGE("dxhub run ended with " << r.code);
  }

  /// Runs `dxhub args... --registry R`.
  cli_result with_registry(std::vector<std::string> args) {
    args.push_back("--registry");
    args.push_back(registry);
    return run(args);
  }

  /// Waits until the registry lists service `name` and channel `channel` has a subscriber.
  void wait_ready(const std::string& name, const std::string& channel) {
    auto ready = [&] {
      auto r = run({"ls", "--json", "--registry", registry, "--deployment", deployment});
      if (r.code != 0)
        return false;
      auto doc = r.json();
      if (!has_named(doc["services"], "name", name))
        return false;
      for (const auto& c : doc["channels"])
        if (c.value("channel", "") == channel && c.value("subscribers", 0) > 0)
          return true;
      return false;
    };
    if (wait_until(ready, 30s, 300ms))
      return;
    CAF_FAIL("the deployment did not come up: " << run({"ls", "--registry", registry}).out);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cli_live_tests, live_fixture)

CAF_TEST(ls_inspect_send_and_tail_work_against_a_live_deployment) {
  wait_ready("cam0", "live/cam0/raw");
  // ls: nodes and services from the registry, channels from shared memory.
  auto ls = run({"ls", "--json", "--registry", registry, "--deployment", deployment});
  CAF_REQUIRE_EQUAL(ls.code, 0);
  auto doc = ls.json();
  CAF_CHECK(has_named(doc["nodes"], "name", "cams"));
  CAF_CHECK(has_named(doc["nodes"], "name", "ana"));
  CAF_CHECK(has_named(doc["services"], "name", "cam0"));
  CAF_CHECK(has_named(doc["channels"], "channel", "live/cam0/raw"));
  CAF_CHECK(has_named(doc["registered_channels"], "name", "live/cam0/raw"));
  CAF_CHECK(doc["subscribers"].is_array() && !doc["subscribers"].empty());
  auto services = run({"ls", "services", "--json", "--registry", registry});
  CAF_CHECK_EQUAL(services.code, 0);
  CAF_CHECK(has_named(services.json()["services"], "name", "cam0"));
  CAF_CHECK(!services.json().contains("channels"));
  // inspect: the publisher alive, the analysis node's subscriber counting.
  auto inspect = run({"inspect", "live/cam0/raw", "--deployment", deployment, "--json"});
  CAF_REQUIRE_EQUAL(inspect.code, 0);
  auto ch = inspect.json();
  CAF_CHECK(ch["publisher"]["alive"].get<bool>());
  CAF_CHECK(ch["publisher"]["sequence"].get<uint64_t>() > 0u);
  CAF_REQUIRE(!ch["subscribers"].empty());
  CAF_CHECK(ch["subscribers"][0]["delivered"].get<uint64_t>() > 0u);
  // send: a command and its reply, typed arguments from --arg and --json-args.
  auto set = with_registry({"send", "cam0", "set_exposure", "--arg", "ms=4.5", "--json"});
  CAF_CHECK_EQUAL(set.code, 0);
  CAF_MESSAGE("set_exposure: " << set.out);
  CAF_CHECK_EQUAL(set.json()["service"].get<std::string>(), "cam0");
  auto state = with_registry({"send", "cam0", "get_state", "--json"});
  CAF_REQUIRE_EQUAL(state.code, 0);
  auto result = state.json()["result"];
  CAF_MESSAGE("get_state: " << result.dump());
  CAF_CHECK(result.is_object());
  CAF_CHECK(state.json()["latency_ns"].get<int64_t>() > 0);
  auto json_args =
      with_registry({"send", "cam0", "set_exposure", "--json-args", R"({"ms": 6})", "--json"});
  CAF_CHECK_EQUAL(json_args.code, 0);
  // tail: the camera's events as JSON lines, through the registry's relay.
  auto tail = with_registry({"tail", "cam0", "--count", "3", "--json", "--timeout-ms", "15000"});
  CAF_CHECK_EQUAL(tail.code, 0);
  std::stringstream lines{tail.out};
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    auto j = nlohmann::json::parse(line);
    CAF_CHECK(j["target"].get<std::string>().rfind("cam0", 0) == 0);
    CAF_CHECK(j.contains("time") && j.contains("action"));
  }
  CAF_CHECK_EQUAL(n, 3);
}

CAF_TEST(errors_against_a_live_deployment_name_the_problem) {
  wait_ready("cam0", "live/cam0/raw");
  auto no_service = with_registry({"send", "lab/nosuch", "get_state"});
  CAF_CHECK_EQUAL(no_service.code, 3);
  CAF_CHECK(no_service.err.find("lab/nosuch") != std::string::npos);
  auto no_command = with_registry({"send", "cam0", "warp_drive"});
  CAF_CHECK_NOT_EQUAL(no_command.code, 0);
  CAF_CHECK(no_command.err.find("warp_drive") != std::string::npos);
  auto bad_arg = with_registry({"send", "cam0", "set_exposure", "--arg", "no-equals-sign"});
  CAF_CHECK_EQUAL(bad_arg.code, 2);
  CAF_CHECK(bad_arg.err.find("key=value") != std::string::npos);
  auto bad_json = with_registry({"send", "cam0", "set_exposure", "--json-args", "[1,"});
  CAF_CHECK_EQUAL(bad_json.code, 2);
  auto no_channel = run({"inspect", "live/nosuch", "--deployment", deployment});
  CAF_CHECK_EQUAL(no_channel.code, 3);
  CAF_CHECK(no_channel.err.find("live/nosuch") != std::string::npos);
  auto quiet = with_registry({"tail", "nothing/here", "--count", "1", "--timeout-ms", "500"});
  CAF_CHECK_EQUAL(quiet.code, 5);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(cli_registry_tests, cli_fixture)

CAF_TEST(no_registry_is_a_clear_error_with_its_own_exit_code) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"send", "cam0", "get_state"}, {"ls", "services"}, {"tail", "cam0", "--count", "1"}}) {
    auto r = run(args);
    CAF_CHECK_EQUAL(r.code, 4);
    CAF_CHECK(r.err.find("registry") != std::string::npos);
  }
  // A registry configured but not running: the same code, and the endpoint named.
  auto gone = "ipc://" + (dir / "nobody-here").string();
  auto r = run({"send", "cam0", "get_state", "--registry", gone, "--timeout-ms", "500"});
  CAF_CHECK_EQUAL(r.code, 4);
  CAF_CHECK(r.err.find(gone) != std::string::npos);
  auto ls = run({"ls", "nodes", "--registry", gone, "--timeout-ms", "500", "--json"});
  CAF_CHECK_EQUAL(ls.code, 4);
  CAF_CHECK(ls.json()["registry"].contains("error"));
}

CAF_TEST(a_standalone_registry_answers_ls) {
  auto endpoint = "ipc://" + (dir / "standalone").string();
  auto err = (dir / "registry.err").string();
  auto registry = start({"registry", "--endpoint", endpoint, "--duration", "30", "--json"}, err);
  auto first = registry.read_line(10s);
  CAF_REQUIRE(first.has_value());
  CAF_CHECK_EQUAL(nlohmann::json::parse(*first)["registry"].get<std::string>(), endpoint);
  auto r = run({"ls", "nodes", "--registry", endpoint, "--json"});
  CAF_CHECK_EQUAL(r.code, 0);
  auto nodes = r.json()["nodes"];
  CAF_MESSAGE("nodes: " << nodes.dump());
  CAF_CHECK(nodes.is_array() && !nodes.empty());
  registry.kill(SIGTERM);
  CAF_CHECK_EQUAL(registry.exit_code(10s).value_or(-1), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
