#define CAF_SUITE launch.launcher
#include "dxhub/launch/launcher.hpp"

#include "dxhub/tests/launch/processes.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace dxhub;
using namespace std::chrono_literals;
using dxhub::test::alive;
using dxhub::test::all_gone_within;
using dxhub::test::built_program;
using dxhub::test::segments;
using dxhub::test::wait_until;

namespace {

struct node_def {
  std::string name;
  std::string mode = "run";
  int times = 1000000;
  std::string restart = "";
};

pid_t pid_in(const std::string& line) {
  auto at = line.find(" pid ");
  CAF_REQUIRE(at != std::string::npos);
  return static_cast<pid_t>(std::stol(line.substr(at + 5)));
}

struct launch_fixture {
  std::string name = dxhub::test::unique_name("launch");
  std::filesystem::path dir = std::filesystem::temp_directory_path() / name;
  std::string file = (dir / "deployment.toml").string();
  std::unique_ptr<dxhub::test::child_process> launcher;
  std::vector<std::string> lines;

  launch_fixture() { std::filesystem::create_directories(dir); }

  ~launch_fixture() {
    launcher.reset();
    // The guard removes the segments after the launcher's kill; what it
    // left after the deadline goes here.
    wait_until([&] { return segments(prefix()).empty(); }, 5s);
    for (auto& seg : segments(prefix()))
      std::filesystem::remove("/dev/shm/" + seg);
    std::filesystem::remove_all(dir);
  }

  std::string prefix() const { return "dxhub." + name + "."; }

  void write(const std::vector<node_def>& nodes, const std::string& restart = "",
             int grace_ms = 2000) {
    std::ostringstream out;
    out << "[deployment]\nname = \"" << name << "\"\ngrace_ms = " << grace_ms << "\n\n"
        << "[restart]\nmax_restarts = 5\nwithin_s = 20\nbackoff_ms = 20\n"
        << "heartbeat_timeout_ms = 1500\nstart_timeout_ms = 5000\n"
        << restart << "\n";
    for (auto& n : nodes) {
      out << "[[nodes]]\nname = \"" << n.name << "\"\nprogram = \""
          << built_program("tests/launch/test_node") << "\"\n"
          << "env = { TEST_NODE_MODE = \"" << n.mode << "\", TEST_NODE_TIMES = \"" << n.times
          << "\" }\n";
      if (!n.restart.empty())
        out << "restart = { " << n.restart << " }\n";
      out << "\n";
    }
    std::ofstream{file} << out.str();
  }

  void launch() {
    launcher = std::make_unique<dxhub::test::child_process>(
        std::vector<std::string>{built_program("tests/launch/test_launcher"), file});
  }

  // Reads progress lines until one contains `needle`; nullopt after `limit`.
  std::optional<std::string> wait_for(const std::string& needle,
                                      std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto line = launcher->read_line(100ms);
      if (!line)
        continue;
      CAF_MESSAGE("launcher: " << *line);
      lines.push_back(*line);
      if (line->find(needle) != std::string::npos)
        return line;
    }
    CAF_MESSAGE("no line with '" << needle << "' within " << limit.count() << " ms");
    return std::nullopt;
  }

  std::string rest() {
    auto all = launcher->read_all(5s);
    CAF_MESSAGE("launcher (rest): " << all);
    return all;
  }

  // Starts the deployment and returns the pids of `names` once all started.
  std::vector<pid_t> start(const std::vector<std::string>& names) {
    launch();
    std::vector<pid_t> pids;
    for (auto& n : names) {
      auto line = wait_for("node " + n + ": start pid");
      CAF_REQUIRE(line);
      pids.push_back(pid_in(*line));
    }
    return pids;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(launcher_tests, launch_fixture)

CAF_TEST(a node killed with - 9 is restarted and the others keep running) {
  write({{"camera"}, {"analysis"}, {"logger"}});
  auto pids = start({"camera", "analysis", "logger"});
  ::kill(pids[1], SIGKILL);
  auto exit = wait_for("node analysis: exit pid " + std::to_string(pids[1]));
  CAF_REQUIRE(exit);
  CAF_CHECK(exit->find("killed by signal 9") != std::string::npos);
  auto restart = wait_for("node analysis: restart pid");
  CAF_REQUIRE(restart);
  CAF_CHECK(restart->find("(restart 1)") != std::string::npos);
  auto fresh = pid_in(*restart);
  CAF_CHECK(alive(fresh));
  CAF_CHECK(alive(pids[0]));
  CAF_CHECK(alive(pids[2]));
  launcher->kill(SIGTERM);
  CAF_CHECK_EQUAL(launcher->exit_code(10s), 0);
  CAF_CHECK(all_gone_within({pids[0], fresh, pids[2]}, 2s));
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST(a node that stops heartbeating is killed and restarted) {
  write({{"camera", "hang:300", 1}, {"logger"}});
  auto pids = start({"camera", "logger"});
  auto hang = wait_for("node camera: hang pid " + std::to_string(pids[0]));
  CAF_REQUIRE(hang);
  CAF_CHECK(hang->find("no heartbeat for") != std::string::npos);
  auto exit = wait_for("node camera: exit pid " + std::to_string(pids[0]));
  CAF_REQUIRE(exit);
  CAF_CHECK(exit->find("missed heartbeat") != std::string::npos);
  auto restart = wait_for("node camera: restart pid");
  CAF_REQUIRE(restart);
  CAF_CHECK(!alive(pids[0]));
  // The restarted instance beats (TEST_NODE_TIMES=1): it is left alone. A
  // hang would be reported one heartbeat timeout (1.5 s) after its last beat;
  // none comes within twice that.
  CAF_CHECK(!wait_for("node camera: hang", 3s));
  CAF_CHECK(alive(pid_in(*restart)));
  launcher->kill(SIGTERM);
  CAF_CHECK_EQUAL(launcher->exit_code(10s), 0);
  auto output = rest();
  CAF_CHECK(output.find("node camera: hang") == std::string::npos);
}

CAF_TEST(a node crashing in a loop stops the deployment with a message and exit code 3) {
  write({{"steady"},
         {"crashy", "crash:50", 1000000, "max_restarts = 3, within_s = 10, backoff_ms = 10"}});
  auto pids = start({"steady", "crashy"});
  auto give_up = wait_for("node crashy: give_up");
  CAF_REQUIRE(give_up);
  CAF_CHECK(give_up->find("node 'crashy' failed 4 times within 10 s (limit 3 restarts); "
                          "stopping deployment '"
                          + name + "'")
            != std::string::npos);
  CAF_CHECK_EQUAL(launcher->exit_code(10s), 3);
  CAF_CHECK(all_gone_within({pids[0]}, 2s));
  auto restarts = 0;
  for (auto& line : lines)
    restarts += line.find("node crashy: restart") != std::string::npos ? 1 : 0;
  CAF_CHECK_EQUAL(restarts, 3);
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST(SIGTERM stops every node within the grace period and removes the segments) {
  write({{"camera"}, {"stubborn", "stubborn"}, {"logger"}}, "", 1000);
  auto pids = start({"camera", "stubborn", "logger"});
  CAF_REQUIRE(all_gone_within({}, 0ms));
  // Every node creates its segment.
  CAF_CHECK(wait_until([&] { return segments(prefix()).size() == 3u; }, 10s));
  // A stubborn node does not hold the stop up: the launcher kills it once
  // the grace period is over, and ends (the deadline only bounds the test).
  launcher->kill(SIGTERM);
  CAF_CHECK_EQUAL(launcher->exit_code(10s), 0);
  auto output = rest();
  CAF_CHECK(output.find("node stubborn: kill pid " + std::to_string(pids[1])) != std::string::npos);
  CAF_CHECK(output.find("node camera: kill") == std::string::npos);
  CAF_CHECK(all_gone_within(pids, 0ms));
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST(kill - 9 of the launcher leaves no process and no segment within 2 s) {
  write({{"camera"}, {"analysis"}, {"logger"}});
  launch();
  auto guard = wait_for("deployment: guard pid");
  CAF_REQUIRE(guard);
  std::vector<pid_t> pids{pid_in(*guard)};
  for (std::string n : {"camera", "analysis", "logger"}) {
    auto line = wait_for("node " + n + ": start pid");
    CAF_REQUIRE(line);
    pids.push_back(pid_in(*line));
  }
  CAF_CHECK(wait_until([&] { return segments(prefix()).size() == 3u; }, 10s));
  launcher->kill(SIGKILL);
  CAF_CHECK(all_gone_within(pids, 2s));
  CAF_CHECK_EQUAL(launcher->exit_code(2s), -SIGKILL);
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST(transient nodes that end normally and temporary ones stay down) {
  write({{"once", "exit:100", 1000000, "kind = \"transient\""},
         {"tmp", "crash:100", 1000000, "kind = \"temporary\""}});
  std::ofstream{file, std::ios::app} << "[[nodes]]\nname = \"remote\"\nhost = \"elsewhere\"\n";
  launch();
  // Nothing left to run: the launcher ends by itself, successfully.
  CAF_CHECK_EQUAL(launcher->exit_code(10s), 0);
  auto output = rest();
  CAF_CHECK(output.find("node once: exit") != std::string::npos);
  CAF_CHECK(output.find("exited with code 0") != std::string::npos);
  CAF_CHECK(output.find("node tmp: exit") != std::string::npos);
  CAF_CHECK(output.find("exited with code 3") != std::string::npos);
  CAF_CHECK(output.find("restart") == std::string::npos);
  CAF_CHECK(output.find("node remote: skip: runs on host 'elsewhere'") != std::string::npos);
  CAF_CHECK(output.find("deployment: done") != std::string::npos);
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST(a bad deployment file starts nothing) {
  write({{"camera"}});
  std::ofstream{file, std::ios::app} << "restart = { max_restart = 3 }\n";
  launch();
  CAF_CHECK_EQUAL(launcher->exit_code(10s), 2);
  CAF_CHECK_EQUAL(rest(), "");
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST(a node program that cannot be executed starts nothing) {
  write({{"camera"}});
  std::ofstream{file, std::ios::app} << "[[nodes]]\nname = \"ghost\"\nprogram = \"/nonexistent\"\n";
  launch();
  CAF_CHECK_EQUAL(launcher->exit_code(10s), 2);
  CAF_CHECK_EQUAL(rest(), "");
}

CAF_TEST(stop from the tick callback stops nodes that ran in the working directory) {
  write({{"camera"}});
  auto plan = launch::load_deployment(file);
  CAF_REQUIRE(plan);
  launch::launcher* running = nullptr;
  std::vector<std::string> kinds;
  pid_t pid = 0;
  std::filesystem::path cwd;
  launch::launcher_options options;
  options.workdir = dir.string();
  options.on_report = [&](const launch::launch_report& r) {
    CAF_MESSAGE("report: " << r.line());
    kinds.push_back(r.kind);
    auto e = r.as_event("lab");
    CAF_CHECK_EQUAL(e.topic, "dxhub/launcher/lab");
    CAF_CHECK_EQUAL(e.kind, r.kind);
    if (r.kind == "start")
      pid = r.pid;
  };
  options.on_tick = [&] {
    if (pid <= 0 || !cwd.empty())
      return;
    std::error_code ec;
    cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
    running->stop();
  };
  launch::launcher launcher{std::move(plan.value()), options};
  running = &launcher;
  auto done = launcher.run();
  CAF_CHECK(done);
  CAF_CHECK_EQUAL(cwd, std::filesystem::canonical(dir));
  // "cleanup" comes only if the node made its segments before the stop (a
  // slow start, e.g. under a sanitizer, may not have).
  CAF_REQUIRE(kinds.size() == 4u || kinds.size() == 5u);
  CAF_CHECK_EQUAL(kinds[0], "guard");
  CAF_CHECK_EQUAL(kinds[1], "start");
  CAF_CHECK_EQUAL(kinds[2], "stop");
  CAF_CHECK_EQUAL(kinds[3], "exit");
  if (kinds.size() == 5u)
    CAF_CHECK_EQUAL(kinds[4], "cleanup");
  CAF_CHECK(!alive(pid));
}

CAF_TEST_FIXTURE_SCOPE_END()
