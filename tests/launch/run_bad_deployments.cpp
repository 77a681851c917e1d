// `dxhub run` refuses every kind of deployment-file error before it starts
// anything: the message names the file, the line and the field; the exit code
// is 2 (bad input); no node was started, no audit log written, no segment
// created. Each case breaks one line of tests/launch/deployments/
// three_nodes.toml.

#define CAF_SUITE launch.run_bad_deployments
#include "dxhub/tests/launch/dxhub_run.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

struct broken {
  std::string kind;
  /// The text replaced, and by what.
  std::string what;
  std::string with;
  std::string field;
  /// Part of the explanation after the field.
  std::string says;
  /// The line named, relative to the line of the edit (a missing field is
  /// reported at the header of its table).
  int line_offset = 0;
};

std::vector<broken> cases(const std::string& name) {
  return {
      {"unknown actor type", "type = \"centroid\"", "type = \"centriod\"",
       "nodes[1].actors[1].type", "node 'analysis' has no actor type 'centriod'"},
      {"duplicate node name", "name = \"control\"", "name = \"camera\"", "nodes[2].name",
       "duplicate node name 'camera'"},
      {"duplicate actor name", "name = \"ctl0\"", "name = \"cam0\"", "nodes[2].actors[0].name",
       "duplicate actor name 'cam0'"},
      {"unknown channel", "subscribes = [\"" + name + "/cam0/raw\"]",
       "subscribes = [\"" + name + "/cam1/raw\"]", "nodes[1].actors[1].subscribes[0]",
       "unknown channel '" + name + "/cam1/raw'"},
      {"value out of range", "max_restarts = 3", "max_restarts = -1", "restart.max_restarts",
       "-1 is out of range"},
      {"bad restart kind", "kind = \"permanent\"", "kind = \"sometimes\"", "restart.kind",
       "restart kind 'sometimes'"},
      {"wrong type", "grace_ms = 3000", "grace_ms = \"3s\"", "deployment.grace_ms",
       "expected an integer, found a string"},
      {"unknown field (typo)", "heartbeat_timeout_ms = 5000", "heartbeat_timeot_ms = 5000",
       "restart.heartbeat_timeot_ms", "unknown field"},
      {"bad name", "name = \"analysis\"", "name = \"../analysis\"", "nodes[1].name",
       "node name '../analysis'"},
      {"no cpu", "name = \"camera\"", "name = \"camera\"\ncpus = []", "nodes[0].cpus",
       "node 'camera': must name at least one CPU", 1},
      {"negative cpu", "name = \"camera\"", "name = \"camera\"\ncpus = [-1]", "nodes[0].cpus[0]",
       "node 'camera': CPU -1 is out of range", 1},
      {"cpu named twice", "name = \"camera\"", "name = \"camera\"\ncpus = [0, 0]",
       "nodes[0].cpus[1]", "node 'camera': CPU 0 is named twice", 1},
      {"missing required field", "  type = \"controller\"\n", "", "nodes[2].actors[0].type",
       "missing (required)", -1},
  };
}

int line_at(const std::string& text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(run_bad_deployment_tests, run_fixture)

CAF_TEST(every_kind_of_deployment_error_names_file_line_and_field_and_starts_nothing) {
  auto good = deployment_text();
  int n = 0;
  for (const auto& c : cases(name)) {
    CAF_MESSAGE("case: " << c.kind);
    auto at = good.find(c.what);
    CAF_REQUIRE(at != std::string::npos);
    auto text = good;
    text.replace(at, c.what.size(), c.with);
    auto file = write_deployment(text, "bad-" + std::to_string(++n) + ".toml");
    start(file);
    auto code = run->exit_code(30s);
    auto err = text_of(err_file);
    CAF_MESSAGE("stderr: " << err);
    CAF_CHECK_EQUAL(code, 2);
    auto where = file.string() + ":" + std::to_string(line_at(good, at) + c.line_offset)
                 + ": field '" + c.field + "': ";
    auto named = err.find(where);
    CAF_CHECK(named != std::string::npos);
    if (named != std::string::npos)
      CAF_CHECK(err.find(c.says, named) != std::string::npos);
    // Nothing started: no node reported, no log, no segment.
    CAF_CHECK(err.find("start pid") == std::string::npos);
    CAF_CHECK(!std::filesystem::exists(log_file));
    CAF_CHECK(segments(prefix()).empty());
  }
  // The unbroken file is accepted (a run of one second).
  auto file = write_deployment(good);
  start(file, {"--duration", "1"});
  CAF_CHECK_EQUAL(run->exit_code(60s), 0);
  CAF_CHECK(segments(prefix()).empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
