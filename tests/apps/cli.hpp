#pragma once

// Runs the `dxhub` program as a real child process for the apps suites: its
// exit code, its stdout (JSON is parsed, never grepped) and its stderr.

#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/text_file.hpp"
#include "dxhub/tests/support/wait.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace dxhub::test {

struct cli_result {
  int code = -1000;
  std::string out;
  std::string err;

  /// Stdout as JSON; a failed test when it is not JSON.
  nlohmann::json json() const {
    auto doc = nlohmann::json::parse(out, nullptr, false);
    if (doc.is_discarded())
      CAF_FAIL("not JSON: '" << out << "' (stderr: " << err << ")");
    return doc;
  }
};

inline std::string dxhub_program() {
  return built_program("apps/dxhub");
}

/// A scratch directory and a private shared-memory prefix, both removed at the end.
struct cli_fixture {
  std::filesystem::path dir;
  std::string shm_prefix;

  cli_fixture() {
    shm_prefix = unique_name("dxt") + ".";
    dir = std::filesystem::temp_directory_path() / unique_name("dxhub-apps");
    std::filesystem::create_directories(dir);
  }

  ~cli_fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    for (const auto& entry : std::filesystem::directory_iterator{"/dev/shm", ignored})
      if (entry.path().filename().string().rfind(shm_prefix, 0) == 0)
        std::filesystem::remove(entry.path(), ignored);
  }

  std::vector<std::string> env() const {
    return {"DXHUB_SHM_PREFIX=" + shm_prefix, "DXHUB_REGISTRY="};
  }

  /// Starts `dxhub args...` with stderr going to a file of its own.
  child_process start(const std::vector<std::string>& args, const std::string& err_file) {
    std::vector<std::string> argv{
        "/bin/sh", "-c", "unset DXHUB_REGISTRY; exec \"$@\" 2>" + err_file, "sh", dxhub_program()};
    argv.insert(argv.end(), args.begin(), args.end());
    return child_process{argv, env()};
  }

  /// Collects the outcome of a started `dxhub`.
  cli_result finish(child_process& p, const std::string& err_file,
                    std::chrono::milliseconds timeout) {
    cli_result r;
    r.out = p.read_all(timeout);
    auto code = p.exit_code(timeout);
    r.code = code ? *code : -999;
    std::ifstream in{err_file};
    std::stringstream text;
    text << in.rdbuf();
    r.err = text.str();
    return r;
  }

  /// Runs `dxhub args...` to its end.
  cli_result run(const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout = std::chrono::seconds{60}) {
    auto err_file = (dir / unique_name("stderr")).string();
    auto p = start(args, err_file);
    return finish(p, err_file, timeout);
  }
};

/// A copy of deployment file `source` in `dir` whose deployment name is
/// unique (returned in `name`): parallel runs never share a segment.
inline std::filesystem::path
private_deployment(const std::string& source, const std::filesystem::path& dir, std::string& name) {
  std::ifstream in{source};
  std::stringstream text;
  text << in.rdbuf();
  auto toml = text.str();
  const std::string key = "\nname = \"";
  auto at = toml.find(key);
  if (at == std::string::npos)
    CAF_FAIL("no deployment name in " << source);
  auto start = at + key.size();
  auto end = toml.find('"', start);
  name = unique_name(toml.substr(start, end - start));
  toml.replace(start, end - start, name);
  auto file = dir / (name + ".toml");
  std::ofstream{file} << toml;
  return file;
}

} // namespace dxhub::test
