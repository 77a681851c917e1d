#define CAF_SUITE apps.cli_run
#include "dxhub/tests/apps/cli.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <signal.h>
#include <thread>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

std::string source_file(const std::string& relative) {
  const char* root = std::getenv("DXHUB_SOURCE_DIR");
  return std::string{root != nullptr ? root : "."} + "/" + relative;
}

/// The pids of the direct children of `pid`.
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"};
  std::vector<pid_t> kids;
  for (pid_t k; in >> k;)
    kids.push_back(k);
  return kids;
}

/// The `dxhub-node` processes among the children of `dxhub run` (the `sh`
/// wrapper exec'ed it), by node name; other children (the launcher's guard)
/// are left alone.
std::map<std::string, pid_t> node_pids(pid_t run) {
  std::map<std::string, pid_t> nodes;
  for (auto pid : children_of(run)) {
    std::ifstream in{"/proc/" + std::to_string(pid) + "/cmdline"};
    std::vector<std::string> argv;
    for (std::string arg; std::getline(in, arg, '\0');)
      argv.push_back(arg);
    if (argv.empty() || argv[0].find("dxhub-node") == std::string::npos)
      continue;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == "--node")
        nodes[argv[i + 1]] = pid;
  }
  return nodes;
}

/// Every line of the log files, oldest first.
std::vector<std::string> log_lines(const std::filesystem::path& dir) {
  std::vector<std::string> lines;
  for (const auto& f : {dir / "audit.jsonl.2", dir / "audit.jsonl.1", dir / "audit.jsonl"})
    for (auto& line : read_lines(f))
      lines.push_back(line);
  return lines;
}

/// How many times the launcher restarted node `node`, by the audit log in `dir`.
std::size_t restarts_of(const std::filesystem::path& dir, const std::string& node) {
  std::size_t n = 0;
  for (const auto& line : log_lines(dir)) {
    auto rec = nlohmann::json::parse(line, nullptr, false);
    n += !rec.is_discarded() && rec.is_object()
                 && rec.value("target", "") == "dxhub/launcher/" + node
                 && rec.value("action", "") == "restart"
             ? 1
             : 0;
  }
  return n;
}

/// False once process `pid` is gone or a zombie.
bool running(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  std::getline(in, text);
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z'
         && text[close + 2] != 'X';
}

/// How many of the newest lines of `before` are still in `after`, and that
/// every line of `before` is JSON.
std::size_t kept_lines(const std::vector<std::string>& before,
                       const std::vector<std::string>& after) {
  std::set<std::string> present{after.begin(), after.end()};
  std::size_t kept = 0;
  for (auto it = before.rbegin(); it != before.rend() && present.count(*it); ++it)
    ++kept;
  for (const auto& line : before)
    CAF_CHECK(nlohmann::json::accept(line));
  return kept;
}

/// Every line of every file parses as a JSON object; returns them all.
std::vector<nlohmann::json> parse_all(const std::vector<std::filesystem::path>& files) {
  std::vector<nlohmann::json> records;
  for (const auto& f : files)
    for (const auto& line : read_lines(f)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        CAF_FAIL("a line of " << f << " is not JSON: '" << line << "'");
      records.push_back(std::move(j));
    }
  return records;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cli_run_tests, cli_fixture)

CAF_TEST(the_demo_runs_to_completion_with_a_supervised_restart) {
  auto summary_file = (dir / "summary.json").string();
  std::string name;
  auto file = private_deployment(source_file("examples/deployments/demo.toml"), dir, name);
  auto r = run({"run", file.string(), "--duration", "16", "--workdir", dir.string(),
                "--summary-file", summary_file, "--json"},
               120s);
  CAF_MESSAGE("stderr: " << r.err);
  CAF_REQUIRE_EQUAL(r.code, 0);
  auto s = r.json();
  CAF_MESSAGE("summary: " << s.dump());
  CAF_CHECK(s["restarts"].get<uint64_t>() >= 1u);
  CAF_CHECK(s["crashes"].get<uint64_t>() >= 1u);
  auto sessions = s["cameras"]["cam0"];
  CAF_REQUIRE(sessions.size() >= 2u);
  CAF_CHECK(sessions[0]["frames"].get<uint64_t>() > 0u);
  CAF_CHECK(sessions[1]["frames"].get<uint64_t>() > 0u);
  CAF_CHECK_EQUAL(s["bad_frames"].get<uint64_t>(), 0u);
  CAF_CHECK(s["commands"].get<uint64_t>() > 0u);
  CAF_CHECK_EQUAL(s["bad_audit_lines"].get<uint64_t>(), 0u);
  CAF_CHECK(s["latency_ms"]["p50"].get<double>() >= 0);
  // The same summary in the file.
  std::ifstream in{summary_file};
  auto from_file = nlohmann::json::parse(in, nullptr, false);
  CAF_CHECK_EQUAL(from_file.value("restarts", -1), s["restarts"].get<int>());
  // The audit log: every line JSON; the crash, the restart and every command.
  auto records = parse_all({s["audit_log"].get<std::string>()});
  bool crash = false, restart = false;
  uint64_t commands = 0;
  for (const auto& rec : records) {
    CAF_CHECK(rec.contains("time") && rec.contains("wall_ns"));
    auto action = rec.value("action", "");
    crash = crash || action == "crash";
    restart = restart || (action == "restart" && rec.value("kind", "") == "event");
    if (rec.value("kind", "") == "command") {
      ++commands;
      CAF_CHECK(rec.contains("latency_ns") && rec.contains("caller") && rec.contains("args"));
    }
  }
  CAF_CHECK(crash);
  CAF_CHECK(restart);
  CAF_CHECK_EQUAL(commands, s["commands"].get<uint64_t>());
  // The recorder's file reads back (its own suite checks the bytes).
  CAF_CHECK(std::filesystem::exists(dir / "demo-recording.dxrec"));
}

CAF_TEST(kill_9_of_camera_and_analysis_nodes_loses_no_logged_line_and_rotation_keeps_3_files) {
  auto err_file = (dir / "run.err").string();
  auto summary_file = (dir / "summary.json").string();
  std::string name;
  auto file =
      private_deployment(source_file("tests/apps/deployments/crash_and_rotate.toml"), dir, name);
  auto runner = start({"run", file.string(), "--duration", "14", "--workdir", dir.string(),
                       "--summary-file", summary_file, "--json"},
                      err_file);
  // After the camera's own abort (at 2 s) and its node's restart, kill -9
  // the camera node and the analysis node; then, once both are back, the
  // logger's node as well. Each snapshot is compared right after its kill
  // (the process gone), before rotation moves on.
  std::map<std::string, pid_t> nodes;
  auto all_up = [&] {
    nodes = node_pids(runner.pid());
    return nodes.count("camera") && nodes.count("analysis") && nodes.count("logger")
           && nodes.count("control");
  };
  CAF_REQUIRE(wait_until([&] { return restarts_of(dir, "camera") >= 1 && all_up(); }, 60s, 50ms));
  auto before = log_lines(dir);
  ::kill(nodes["camera"], SIGKILL);
  ::kill(nodes["analysis"], SIGKILL);
  auto kept = kept_lines(before, log_lines(dir));
  CAF_MESSAGE(kept << " of " << before.size() << " lines from before the first kill present");
  CAF_CHECK(kept > 0u);
  CAF_REQUIRE(wait_until(
      [&] {
        return restarts_of(dir, "camera") >= 2 && restarts_of(dir, "analysis") >= 1 && all_up();
      },
      60s, 50ms));
  auto before_logger_kill = log_lines(dir);
  auto logger = nodes["logger"];
  ::kill(logger, SIGKILL);
  CAF_REQUIRE(wait_until([&] { return !running(logger); }, 10s));
  auto kept_logger = kept_lines(before_logger_kill, log_lines(dir));
  CAF_MESSAGE(kept_logger << " of " << before_logger_kill.size()
                          << " lines from before the logger's kill present");
  CAF_CHECK(kept_logger > 0u);
  auto r = finish(runner, err_file, 90s);
  CAF_MESSAGE("stderr: " << r.err);
  CAF_REQUIRE_EQUAL(r.code, 0);
  auto s = r.json();
  CAF_MESSAGE("summary: " << s.dump());
  CAF_CHECK(s["node_restarts"].get<uint64_t>() >= 4u); // the abort and three kill -9
  // Rotation: exactly keep_files files, every line of every one JSON.
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator{dir})
    if (entry.path().filename().string().rfind("audit.jsonl", 0) == 0)
      files.insert(entry.path().filename().string());
  CAF_CHECK_EQUAL(files.size(), 3u);
  CAF_CHECK(!files.count("audit.jsonl.3"));
  parse_all({dir / "audit.jsonl.2", dir / "audit.jsonl.1", dir / "audit.jsonl"});
}

CAF_TEST(malformed_numbers_in_the_audit_log_are_counted_and_the_run_goes_on) {
  // Stats events are written by other processes: a number of the wrong kind
  // (1e300 where an integer belongs, a text) is a bad line for the run's
  // report, never a conversion (undefined behaviour) nor an exception.
  auto summary_file = (dir / "summary.json").string();
  auto err_file = (dir / "run.err").string();
  auto name = unique_name("badnum");
  auto file = dir / (name + ".toml");
  std::ofstream{file} << "[deployment]\nname = \"" << name << "\"\ngrace_ms = 2000\n\n"
                      << "[[nodes]]\nname = \"logger\"\n  [[nodes.actors]]\n"
                      << "  type = \"audit_logger\"\n  name = \"audit\"\n"
                      << "  params = { path = \"audit.jsonl\" }\n\n"
                      << "[[nodes]]\nname = \"camera\"\n  [[nodes.actors]]\n"
                      << "  type = \"simulated_camera\"\n  name = \"cam0\"\n"
                      << "  params = { width = 64, height = 48, rate_hz = 50.0, "
                      << "stats_period_ms = 200 }\n  publishes = [\"" << name << "/cam0/raw\"]\n";
  auto runner = start({"run", file.string(), "--duration", "6", "--workdir", dir.string(),
                       "--summary-file", summary_file, "--json"},
                      err_file);
  auto log = dir / "audit.jsonl";
  CAF_REQUIRE(wait_until([&] { return std::filesystem::exists(log); }, 30s, 50ms));
  {
    std::ofstream out{log, std::ios::app};
    out << R"({"kind":"event","target":"x/cam9/stats","action":"stats",)"
        << R"("args":{"session":7,"frames":1e300}})"
        << "\n"
        << R"({"kind":"event","target":"x/cam9/stats","action":"stats",)"
        << R"("args":{"session":7,"frames":"many"}})"
        << "\n"
        << R"({"kind":"command","target":"x","action":"get","latency_ns":-1e300})"
        << "\n"
        << std::flush;
  }
  auto r = finish(runner, err_file, 120s);
  CAF_MESSAGE("stderr: " << r.err);
  CAF_REQUIRE_EQUAL(r.code, 0);
  auto s = r.json();
  CAF_CHECK(s["bad_audit_lines"].get<uint64_t>() >= 3u);
  CAF_CHECK(!s["cameras"].contains("cam9"));
  CAF_CHECK(s["cameras"]["cam0"][0]["frames"].get<uint64_t>() > 0u); // the rest still counts
}

CAF_TEST(a_deployment_with_an_unknown_actor_type_is_refused_by_name) {
  auto file = dir / "bad.toml";
  std::ofstream{file} << "[deployment]\nname = \"bad\"\n[[nodes]]\nname = \"n\"\n"
                         "[[nodes.actors]]\ntype = \"warp_drive\"\nname = \"w\"\n";
  auto r = run({"run", file.string(), "--duration", "1"});
  CAF_CHECK_EQUAL(r.code, 2);
  CAF_CHECK(r.err.find("warp_drive") != std::string::npos);
}

CAF_TEST(tail_follows_the_audit_log_as_json) {
  auto log = dir / "audit.jsonl";
  {
    std::ofstream out{log};
    for (int i = 0; i < 5; ++i)
      out << nlohmann::json{{"time", "t"},
                            {"kind", "event"},
                            {"target", i % 2 ? "lab/cam0/state" : "lab/other/state"},
                            {"action", "state"},
                            {"caller", "x"},
                            {"args", {{"i", i}}}}
                 .dump()
          << "\n";
  }
  auto r = run({"tail", "lab/cam0", "--log", log.string(), "--from-start", "--count", "2", "--json",
                "--timeout-ms", "5000"});
  CAF_CHECK_EQUAL(r.code, 0);
  std::stringstream lines{r.out};
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n)
    CAF_CHECK_EQUAL(nlohmann::json::parse(line)["target"].get<std::string>(), "lab/cam0/state");
  CAF_CHECK_EQUAL(n, 2);
  auto short_of = run({"tail", "lab/cam0", "--log", log.string(), "--from-start", "--count", "9",
                       "--timeout-ms", "500"});
  CAF_CHECK_EQUAL(short_of.code, 5);
}

CAF_TEST_FIXTURE_SCOPE_END()
