#define CAF_SUITE launch.deployment
#include "dxhub/launch/deployment.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

using namespace dxhub;
using namespace dxhub::launch;
using namespace std::chrono_literals;

namespace {

// A small valid deployment; tests append or replace lines to break it.
constexpr const char* base = R"([deployment]
name = "lab"

[[nodes]]
name = "camera"

  [[nodes.actors]]
  type = "simulated_camera"
  name = "cam0"
  publishes = ["lab/cam0/raw"]

[[nodes]]
name = "analysis"

  [[nodes.actors]]
  type = "centroid"
  name = "centroid0"
  subscribes = ["lab/cam0/raw"]
)";

bool known_type(std::string_view type) {
  return type == "simulated_camera" || type == "centroid" || type == "audit_logger";
}

const deployment_checks checks{known_type, {}};

// The error context of parsing `text`, which must fail with config_error.
std::string error_of(const std::string& text) {
  auto parsed = parse_deployment(text, "lab.toml", checks);
  CAF_REQUIRE(!parsed);
  CAF_CHECK(parsed.error() == errc::config_error);
  CAF_MESSAGE("error: " << parsed.error().context);
  return parsed.error().context;
}

std::string replaced(std::string text, const std::string& what, const std::string& with) {
  auto at = text.find(what);
  CAF_REQUIRE(at != std::string::npos);
  return text.replace(at, what.size(), with);
}

} // namespace

CAF_TEST(the base deployment is valid) {
  auto parsed = parse_deployment(base, "lab.toml", checks);
  CAF_REQUIRE(parsed);
  CAF_CHECK_EQUAL(parsed.value().nodes.size(), 2u);
}

CAF_TEST(an unknown actor type names file line and field) {
  auto text = replaced(base, "type = \"centroid\"", "type = \"centriod\"");
  CAF_CHECK_EQUAL(error_of(text), "lab.toml:16: field 'nodes[1].actors[0].type': unknown actor "
                                  "type 'centriod'");
}

CAF_TEST(a duplicate node name names file line and field) {
  auto text = replaced(base, "name = \"analysis\"", "name = \"camera\"");
  CAF_CHECK_EQUAL(error_of(text), "lab.toml:13: field 'nodes[1].name': duplicate node name "
                                  "'camera' (also nodes[0])");
}

CAF_TEST(a duplicate actor name names file line and field) {
  auto text = replaced(base, "name = \"centroid0\"", "name = \"cam0\"");
  CAF_CHECK_EQUAL(error_of(text), "lab.toml:17: field 'nodes[1].actors[0].name': duplicate actor "
                                  "name 'cam0' (also nodes[0].actors[0])");
}

CAF_TEST(an unknown channel names file line and field) {
  auto text = replaced(base, "subscribes = [\"lab/cam0/raw\"]", "subscribes = [\"lab/cam1/raw\"]");
  CAF_CHECK(error_of(text).starts_with(
      "lab.toml:18: field 'nodes[1].actors[0].subscribes[0]': unknown channel 'lab/cam1/raw'"));
  // A channel declared at deployment level is known.
  auto declared = text + "\n[[channels]]\nname = \"lab/cam1/raw\"\n";
  CAF_CHECK(parse_deployment(declared, "lab.toml", checks));
}

CAF_TEST(bad values name file line and field) {
  auto in_node = [](const std::string& line) {
    return replaced(base, "name = \"analysis\"\n", "name = \"analysis\"\n" + line + "\n");
  };
  CAF_CHECK_EQUAL(error_of(in_node("restart = { max_restarts = -1 }")),
                  "lab.toml:14: field 'nodes[1].restart.max_restarts': -1 is out of range [0, "
                  "1000]");
  CAF_CHECK_EQUAL(error_of(in_node("restart = { kind = \"sometimes\" }")),
                  "lab.toml:14: field 'nodes[1].restart.kind': restart kind 'sometimes' is not "
                  "one of permanent, transient, temporary");
  CAF_CHECK_EQUAL(error_of(in_node("endpoint = \"http://x\"")),
                  "lab.toml:14: field 'nodes[1].endpoint': endpoint 'http://x' must start with "
                  "tcp://, ipc:// or inproc://");
  CAF_CHECK_EQUAL(error_of(in_node("restart = { within_s = 0 }")),
                  "lab.toml:14: field 'nodes[1].restart.within_s': must be more than 0 and at "
                  "most 86400 seconds");
  CAF_CHECK_EQUAL(error_of(in_node("env = { MODE = 3 }")),
                  "lab.toml:14: field 'nodes[1].env.MODE': expected a string, found an integer");
  CAF_CHECK_EQUAL(error_of(std::string{base} + "  restart = { watchdog_ms = \"1s\" }\n"),
                  "lab.toml:19: field 'nodes[1].actors[0].restart.watchdog_ms': expected an "
                  "integer, found a string");
  CAF_CHECK_EQUAL(error_of(replaced(base, "name = \"lab\"", "name = 42")),
                  "lab.toml:2: field 'deployment.name': expected a string, found an integer");
  CAF_CHECK(error_of(replaced(base, "name = \"camera\"", "name = \"../etc\""))
                .starts_with("lab.toml:5: field 'nodes[0].name': node name '../etc' contains '.'"));
  CAF_CHECK_EQUAL(error_of(replaced(base, "name = \"lab\"", "name = \"lab\"\ngrace_ms = 0")),
                  "lab.toml:3: field 'deployment.grace_ms': 0 is out of range [1, 600000]");
}

CAF_TEST(an unknown field is rejected as a typo) {
  CAF_CHECK(
      error_of(std::string{base} + "  restrat = { kind = \"transient\" }\n")
          .starts_with("lab.toml:19: field 'nodes[1].actors[0].restrat': unknown field; this "
                       "table knows: type, name, module, params, publishes, subscribes, restart"));
}

CAF_TEST(module is short for params.module) {
  auto text = std::string{base} + "  module = \"myexp.scan:Scan\"\n  params = { step = 2 }\n";
  auto parsed = parse_deployment(text, "lab.toml", checks);
  CAF_REQUIRE(parsed.has_value());
  auto params = nlohmann::json::parse(parsed.value().nodes[1].actors[0].params.text);
  CAF_CHECK_EQUAL(params["module"].get<std::string>(), "myexp.scan:Scan");
  CAF_CHECK_EQUAL(params["step"].get<int>(), 2);
  CAF_CHECK(error_of(std::string{base} + "  module = \"a:B\"\n  params = { module = \"c:D\" }\n")
                .starts_with("lab.toml:19: field 'nodes[1].actors[0].module': differs"));
}

CAF_TEST(a missing required field is named) {
  auto text = replaced(base, "  type = \"centroid\"\n", "");
  CAF_CHECK_EQUAL(error_of(text),
                  "lab.toml:15: field 'nodes[1].actors[0].type': missing (required)");
  CAF_CHECK(
      error_of("[[nodes]]\nname = \"a\"\n").starts_with("lab.toml:1: field 'deployment.name'"));
  CAF_CHECK(error_of("[deployment]\nname = \"a\"\n").starts_with("lab.toml:1: field 'nodes'"));
}

CAF_TEST(a registry placed on an unknown node is named) {
  auto text = replaced(base, "name = \"lab\"\n",
                       "name = \"lab\"\n\n[registry]\nembedded = false\nnode = \"cellar\"\n");
  CAF_CHECK_EQUAL(error_of(text), "lab.toml:6: field 'registry.node': unknown node 'cellar'");
}

CAF_TEST(a syntax error names file line and column) {
  CAF_CHECK(error_of(replaced(base, "name = \"analysis\"", "name = \"analysis"))
                .starts_with("lab.toml:13:"));
}

CAF_TEST(an unreadable file is named) {
  auto parsed = load_deployment("/nonexistent/lab.toml");
  CAF_REQUIRE(!parsed);
  CAF_CHECK(parsed.error().context.starts_with("/nonexistent/lab.toml: cannot read"));
}

CAF_TEST(the lab example parses field by field) {
  const char* source_dir = std::getenv("DXHUB_SOURCE_DIR");
  CAF_REQUIRE(source_dir != nullptr);
  auto path = std::string{source_dir} + "/examples/deployments/lab.toml";
  auto parsed = load_deployment(path, checks);
  if (!parsed)
    CAF_FAIL(parsed.error().context);
  auto& d = parsed.value();
  CAF_CHECK_EQUAL(d.file, path);
  CAF_CHECK_EQUAL(d.name, "lab");
  CAF_CHECK_EQUAL(d.shm_prefix(), "dxhub.lab.");
  CAF_CHECK_EQUAL(d.grace.count(), 3000);
  CAF_CHECK(d.registry.embedded);
  CAF_CHECK_EQUAL(d.registry.endpoint, "tcp://127.0.0.1:5750");
  CAF_CHECK_EQUAL(d.restart.limits.max_restarts, 5u);
  CAF_CHECK_EQUAL(d.restart.limits.within.count(), 30000);
  CAF_CHECK_EQUAL(d.restart.limits.backoff_base.count(), 200);
  CAF_REQUIRE_EQUAL(d.nodes.size(), 3u);
  auto& camera = d.nodes[0];
  CAF_CHECK_EQUAL(camera.name, "camera");
  CAF_CHECK_EQUAL(camera.host, "localhost");
  CAF_CHECK_EQUAL(camera.endpoint, "tcp://127.0.0.1:5751");
  // Per-node values override the defaults, the rest is inherited.
  CAF_CHECK_EQUAL(camera.restart.limits.max_restarts, 10u);
  CAF_CHECK_EQUAL(camera.restart.limits.within.count(), 60000);
  CAF_CHECK_EQUAL(camera.restart.limits.backoff_base.count(), 200);
  CAF_CHECK_EQUAL(camera.restart.heartbeat_timeout.count(), 3000);
  CAF_REQUIRE_EQUAL(camera.actors.size(), 1u);
  auto& cam0 = camera.actors[0];
  CAF_CHECK_EQUAL(cam0.type, "simulated_camera");
  CAF_CHECK_EQUAL(cam0.name, "cam0");
  auto params = nlohmann::json::parse(cam0.params.text);
  CAF_CHECK_EQUAL(params["width"].get<int>(), 640);
  CAF_CHECK_EQUAL(params["pattern"].get<std::string>(), "gaussian_spot");
  CAF_CHECK_EQUAL(params["rate_hz"].get<double>(), 30.0);
  CAF_REQUIRE_EQUAL(cam0.publishes.size(), 1u);
  CAF_CHECK_EQUAL(cam0.publishes[0], "lab/cam0/raw");
  CAF_CHECK(cam0.restart.kind == restart_kind::permanent);
  CAF_CHECK_EQUAL(cam0.restart.limits.max_restarts, 3u);
  CAF_CHECK_EQUAL(cam0.restart.watchdog.count(), 1000);
  auto& analysis = d.nodes[1];
  CAF_CHECK_EQUAL(analysis.actors[0].subscribes[0], "lab/cam0/raw");
  CAF_CHECK_EQUAL(analysis.actors[0].publishes[0], "lab/cam0/centroid");
  auto& logger = d.nodes[2];
  CAF_CHECK_EQUAL(logger.restart.heartbeat_timeout.count(), 5000);
  CAF_CHECK_EQUAL(logger.actors[0].type, "audit_logger");
  CAF_CHECK(d.find_node("logger") == &logger);
  CAF_CHECK(d.find_node("cellar") == nullptr);
}
