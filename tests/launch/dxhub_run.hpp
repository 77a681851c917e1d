#pragma once

// `dxhub run` as a real child process for the launch suites: a deployment
// file from tests/launch/deployments with a unique name, the audit
// log the logger actor writes, the node processes found in /proc.

#include "dxhub/tests/launch/processes.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dxhub::test {

using json = nlohmann::json;
using namespace std::chrono_literals;

inline std::string text_of(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The runtime directory a node uses when none is configured. The same rule as
/// runtime::with_defaults, written out here because the launcher's tests sit
/// below the runtime and may not include it.
inline std::string default_runtime_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  return xdg != nullptr && *xdg != '\0' ? std::string{xdg} + "/dxhub"
                                        : "/tmp/dxhub-" + std::to_string(getuid());
}

/// The `dxhub-node` children of `dxhub run`, by node name.
inline std::map<std::string, pid_t> node_pids(pid_t run) {
  std::map<std::string, pid_t> nodes;
  for (auto pid : children_of(run)) {
    auto argv = command_line(pid);
    if (argv.empty() || argv[0].find("dxhub-node") == std::string::npos)
      continue;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == "--node")
        nodes[argv[i + 1]] = pid;
  }
  return nodes;
}

struct run_fixture {
  std::string name = unique_name("three");
  std::filesystem::path dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::path err_file = dir / "run.err";
  std::filesystem::path log_file = dir / "audit.jsonl";
  std::unique_ptr<child_process> run;
  /// The audit log so far, one JSON object per line.
  std::vector<json> log;

  run_fixture() { std::filesystem::create_directories(dir); }

  ~run_fixture() {
    run.reset();
    // The launcher's guard removes the segments after a kill; what it left
    // after the deadline goes here.
    ::dxhub::test::wait_until([&] { return segments(prefix()).empty(); }, 5s);
    std::error_code ignored;
    for (auto& seg : segments(prefix()))
      std::filesystem::remove("/dev/shm/" + seg, ignored);
    std::filesystem::remove_all(dir, ignored);
  }

  std::string prefix() const { return "dxhub." + name + "."; }

  /// The socket directories of this run's `dxhub run` ("<name>-<pid>" in the
  /// default runtime directory) that still exist.
  std::vector<std::string> run_dirs() const {
    std::vector<std::string> found;
    auto base = default_runtime_dir();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base, ec))
      if (entry.path().filename().string().rfind(name + "-", 0) == 0)
        found.push_back(entry.path().string());
    return found;
  }

  /// three_nodes.toml with this run's unique name, written to `file`.
  std::string deployment_text() const {
    const char* root = std::getenv("DXHUB_SOURCE_DIR");
    auto toml = text_of(std::string{root != nullptr ? root : "."}
                        + "/tests/launch/deployments/three_nodes.toml");
    for (auto at = toml.find("@NAME@"); at != std::string::npos; at = toml.find("@NAME@", at))
      toml.replace(at, 6, name);
    return toml;
  }

  std::filesystem::path write_deployment(const std::string& toml,
                                         const std::string& file_name = "three_nodes.toml") {
    auto file = dir / file_name;
    std::ofstream{file} << toml;
    return file;
  }

  /// `dxhub run FILE` with its stderr in a file; the registry is the one
  /// `dxhub run` embeds, whatever the caller's environment says.
  void start(const std::filesystem::path& file, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{"/bin/sh",
                                  "-c",
                                  "unset DXHUB_REGISTRY DXHUB_SHM_PREFIX; exec \"$@\" 2>"
                                      + err_file.string(),
                                  "sh",
                                  built_program("apps/dxhub"),
                                  "run",
                                  file.string(),
                                  "--workdir",
                                  dir.string(),
                                  "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    run = std::make_unique<child_process>(std::move(argv));
  }

  void start() { start(write_deployment(deployment_text())); }

  /// Rereads the audit log; a line being written is left for the next time.
  void read_log() {
    log.clear();
    std::ifstream in{log_file};
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object())
        log.push_back(std::move(j));
    }
  }

  /// Polls the audit log until `done` holds; false after `limit`.
  bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit = 30s) {
    // Stops early when `dxhub run` has ended: nothing new would come.
    auto held = ::dxhub::test::wait_until(
        [&] {
          read_log();
          return done() || !run->running();
        },
        limit, 100ms);
    return held && done();
  }

  /// The indices of the records of `target` with `action`, from `first` on.
  std::vector<std::size_t> find(const std::string& target, const std::string& action,
                                std::size_t first = 0) const {
    std::vector<std::size_t> found;
    for (auto i = first; i < log.size(); ++i)
      if (log[i].value("target", "") == target && log[i].value("action", "") == action)
        found.push_back(i);
    return found;
  }

  const json& args(std::size_t i) const { return log[i]["args"]; }

  /// The frames the centroid had counted by its last stats event.
  uint64_t centroid_frames() const {
    auto stats = find("centroid0/stats", "stats");
    return stats.empty() ? 0 : args(stats.back()).value("frames", uint64_t{0});
  }

  bool step_ok_after(std::size_t first) const {
    for (auto i : find("ctl0/step", "step", first))
      if (args(i).value("ok", false))
        return true;
    return false;
  }

  void show_stderr() const { CAF_MESSAGE("dxhub run stderr:\n" << text_of(err_file)); }
};

} // namespace dxhub::test
