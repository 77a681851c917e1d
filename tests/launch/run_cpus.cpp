// `cpus = [...]` of a node in the deployment file: `dxhub run` starts the
// node's process with that CPU affinity (every thread of it, as
// /proc/<pid>/task/<tid>/status says), a node without `cpus` runs where the
// launcher may; a CPU the machine does not have is refused before anything
// starts, naming the file, the line, the field, the node and the value.

#define CAF_SUITE launch.run_cpus
#include "dxhub/tests/launch/dxhub_run.hpp"

#include <algorithm>
#include <csignal>
#include <set>
#include <string>
#include <unistd.h>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

int cpu_count() {
  auto n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

/// The `Cpus_allowed_list` line of a /proc status file ("0", "0-1", ...).
std::string cpus_allowed(const std::string& status_file) {
  std::ifstream in{status_file};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Cpus_allowed_list:", 0) == 0) {
      auto at = line.find_first_not_of(" \t", line.find(':') + 1);
      return at == std::string::npos ? std::string{} : line.substr(at);
    }
  return {};
}

std::string cpus_allowed(pid_t pid) {
  return cpus_allowed("/proc/" + std::to_string(pid) + "/status");
}

/// The allowed CPUs of every thread of `pid`, each list once.
std::set<std::string> thread_cpus(pid_t pid) {
  std::set<std::string> lists;
  std::error_code ec;
  auto task = std::filesystem::path{"/proc"} / std::to_string(pid) / "task";
  for (const auto& t : std::filesystem::directory_iterator(task, ec))
    lists.insert(cpus_allowed((t.path() / "status").string()));
  return lists;
}

/// `text` with `line` added after the first occurrence of `after`.
std::string with_line_after(std::string text, const std::string& after, const std::string& line) {
  auto at = text.find(after);
  CAF_REQUIRE(at != std::string::npos);
  text.insert(at + after.size(), "\n" + line);
  return text;
}

int line_at(const std::string& text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(run_cpus_tests, run_fixture)

CAF_TEST(a_node_with_cpus_runs_on_those_cpus_only_and_the_others_where_the_launcher_may) {
  // camera on CPU 0; analysis on the last CPU (another one when there are
  // several); control unpinned.
  auto last = cpu_count() - 1;
  auto text = with_line_after(deployment_text(), "name = \"camera\"", "cpus = [0]");
  text = with_line_after(text, "name = \"analysis\"", "cpus = [" + std::to_string(last) + "]");
  start(write_deployment(text), {"--duration", "60"});
  bool running = wait_until([&] { return node_pids(run->pid()).size() == 3; });
  if (!running)
    show_stderr();
  CAF_REQUIRE(running);
  // The node has started its threads once its actors run (frames counted).
  bool flowing = wait_until([&] { return centroid_frames() > 5; });
  if (!flowing)
    show_stderr();
  CAF_REQUIRE(flowing);
  auto nodes = node_pids(run->pid());
  auto launcher_cpus = cpus_allowed(run->pid());
  CAF_MESSAGE("launcher: " << launcher_cpus << ", CPUs: " << cpu_count());
  auto camera = cpus_allowed(nodes["camera"]);
  CAF_CHECK_EQUAL(camera, "0");
  auto camera_threads = thread_cpus(nodes["camera"]);
  CAF_CHECK_EQUAL(camera_threads, std::set<std::string>{"0"});
  auto analysis_threads = thread_cpus(nodes["analysis"]);
  CAF_CHECK_EQUAL(analysis_threads, std::set<std::string>{std::to_string(last)});
  auto control = cpus_allowed(nodes["control"]);
  CAF_CHECK_EQUAL(control, launcher_cpus);
  run->kill(SIGTERM);
  CAF_CHECK_EQUAL(run->exit_code(30s), 0);
}

CAF_TEST(a_cpu_the_machine_does_not_have_is_refused_before_anything_starts) {
  auto good = deployment_text();
  auto missing = std::to_string(cpu_count());
  auto text = with_line_after(good, "name = \"analysis\"", "cpus = [0, " + missing + "]");
  auto file = write_deployment(text);
  start(file, {"--duration", "5"});
  auto code = run->exit_code(30s);
  auto err = text_of(err_file);
  CAF_MESSAGE("stderr: " << err);
  CAF_CHECK_EQUAL(code, 2);
  auto line = line_at(text, text.find("cpus = ["));
  auto says = file.string() + ":" + std::to_string(line) + ": field 'nodes[1].cpus[1]': node "
              + "'analysis': CPU " + missing + " does not exist on this machine (it has "
              + std::to_string(cpu_count()) + " CPU";
  CAF_CHECK(err.find(says) != std::string::npos);
  CAF_CHECK(err.find("start pid") == std::string::npos);
  CAF_CHECK(!std::filesystem::exists(log_file));
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
