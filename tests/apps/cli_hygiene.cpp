#define CAF_SUITE apps.cli_hygiene
#include "dxhub/tests/apps/cli.hpp"

// `dxhub tail` and `dxhub send` ended by SIGTERM or SIGINT leave nothing in
// the runtime directory (their `cli-PID` socket directory is removed, and
// they still die of the signal); `dxhub bench` passes its options to the
// benchmark suite as docs/benchmarks.md writes them.

#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <thread>
#include <unistd.h>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

std::string source_file(const std::string& relative) {
  const char* root = std::getenv("DXHUB_SOURCE_DIR");
  return std::string{root != nullptr ? root : "."} + "/" + relative;
}

/// The socket directory of the `dxhub` command `pid`, in the runtime
/// directory (runtime/node_options.hpp: $XDG_RUNTIME_DIR/dxhub or /tmp/dxhub-UID).
std::filesystem::path cli_dir_of(pid_t pid) {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  std::filesystem::path base =
      xdg != nullptr && *xdg != '\0'
          ? std::filesystem::path{xdg} / "dxhub"
          : std::filesystem::path{"/tmp/dxhub-" + std::to_string(::getuid())};
  return base / ("cli-" + std::to_string(pid));
}

/// True when process `pid` blocks SIGTERM and SIGINT: its clean-up on those
/// signals is armed (it takes them from a signalfd).
bool blocks_stop_signals(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("SigBlk:", 0) == 0) {
      auto mask = std::stoull(line.substr(7), nullptr, 16);
      auto bit = [](int signal) { return 1ull << (signal - 1); };
      return (mask & bit(SIGTERM)) != 0 && (mask & bit(SIGINT)) != 0;
    }
  return false;
}

bool wait_for(const std::function<bool()>& done, std::chrono::seconds limit = 20s) {
  return wait_until(done, limit, 20ms);
}

/// A live deployment (tests/apps/deployments/live.toml) under `dxhub run`.
struct hygiene_fixture : cli_fixture {
  std::string deployment;
  std::string registry = "ipc://" + (dir / "registry").string();
  std::string run_err = (dir / "run.err").string();
  std::optional<child_process> runner;

  ~hygiene_fixture() {
    if (runner) {
      runner->kill(SIGTERM);
      auto r = finish(*runner, run_err, 30s);
      CAF_MESSAGE("dxhub run ended with " << r.code);
    }
  }

  void start_deployment() {
    auto file =
        private_deployment(source_file("tests/apps/deployments/live.toml"), dir, deployment);
    runner.emplace(start({"run", file.string(), "--duration", "60", "--workdir", dir.string(),
                          "--registry", registry, "--json"},
                         run_err));
  }

  /// `dxhub tail cam0` until it printed an event, then `signal`: it dies of
  /// the signal and its directory is gone.
  void tail_then(int signal) {
    auto err = (dir / unique_name("tail.err")).string();
    auto tail = start({"tail", "cam0", "--registry", registry, "--json"}, err);
    auto dir_of_tail = cli_dir_of(tail.pid());
    auto first = tail.read_line(30s);
    if (!first)
      CAF_MESSAGE("tail stderr: " << read_text(err) << "\nrun stderr: " << read_text(run_err));
    CAF_REQUIRE(first.has_value());
    CAF_CHECK(std::filesystem::exists(dir_of_tail));
    tail.kill(signal);
    auto status = tail.wait_for(20s);
    CAF_REQUIRE(status.has_value());
    CAF_CHECK(WIFSIGNALED(*status) && WTERMSIG(*status) == signal);
    CAF_CHECK(!std::filesystem::exists(dir_of_tail));
  }

  static std::string read_text(const std::string& file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cli_hygiene_tests, hygiene_fixture)

CAF_TEST(tail_ended_by_sigterm_or_sigint_leaves_no_directory) {
  start_deployment();
  tail_then(SIGTERM);
  tail_then(SIGINT);
}

CAF_TEST(send_ended_by_sigterm_or_sigint_while_waiting_leaves_no_directory) {
  // A registry that never answers: `send` waits for it (up to 30 s). The
  // signal comes once its directory exists and its clean-up is armed.
  auto nobody = "ipc://" + (dir / "nobody-here").string();
  for (int signal : {SIGTERM, SIGINT}) {
    auto err = (dir / unique_name("send.err")).string();
    auto send =
        start({"send", "cam0", "get_state", "--registry", nobody, "--timeout-ms", "30000"}, err);
    auto dir_of_send = cli_dir_of(send.pid());
    CAF_REQUIRE(wait_for(
        [&] { return std::filesystem::exists(dir_of_send) && blocks_stop_signals(send.pid()); }));
    send.kill(signal);
    auto status = send.wait_for(20s);
    CAF_REQUIRE(status.has_value());
    CAF_CHECK(WIFSIGNALED(*status) && WTERMSIG(*status) == signal);
    CAF_CHECK(!std::filesystem::exists(dir_of_send));
  }
}

CAF_TEST(bench_passes_its_options_to_the_suite) {
  if (!std::filesystem::exists(dxhub::test::built_program("benchmarks/suite/dxhub-bench-suite"))) {
    // A tree built without benchmarks (the sanitizer builds): the command says what is missing.
    auto r = run({"bench", "--quick"});
    CAF_CHECK_NOT_EQUAL(r.code, 0);
    CAF_CHECK(r.err.find("dxhub-bench-suite not found") != std::string::npos);
    return;
  }
  // As docs/benchmarks.md writes it; an empty programs folder makes the
  // suite skip every program, so only the options and the report are tested.
  auto out = dir / "bench-out";
  auto programs = dir / "no-programs";
  std::filesystem::create_directories(programs);
  auto r = run(
      {"bench", "--quick", "--out", out.string(), "--programs-dir", programs.string(), "--json"});
  CAF_MESSAGE("stderr: " << r.err);
  CAF_CHECK_EQUAL(r.code, 0);
  CAF_CHECK_EQUAL(r.json()["mode"].get<std::string>(), "quick");
  CAF_CHECK(std::filesystem::exists(out / "results.json"));
  CAF_CHECK(std::filesystem::exists(out / "results.md"));
  // The older spelling with `--` still works.
  auto again = run({"bench", "--", "--quick", "--out", (dir / "again").string(), "--programs-dir",
                    programs.string(), "--json"});
  CAF_CHECK_EQUAL(again.code, 0);
  CAF_CHECK(std::filesystem::exists(dir / "again" / "results.json"));
}

CAF_TEST_FIXTURE_SCOPE_END()
