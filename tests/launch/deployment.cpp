#define CAF_SUITE launch.deployment
#include "dxhub/launch/deployment.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

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
  return type == "simulated_camera" || type == "centroid" || type == "audit_logger"
         || type == "controller";
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

CAF_TEST(cpus of a node are parsed and checked against the machine) {
  auto text = replaced(base, "name = \"analysis\"\n", "name = \"analysis\"\ncpus = [3, 1]\n");
  auto parsed = parse_deployment(text, "lab.toml", checks);
  CAF_REQUIRE(parsed.has_value());
  const auto& d = parsed.value();
  CAF_CHECK(d.nodes[0].cpus.empty());
  CAF_CHECK_EQUAL(d.nodes[1].cpus, (std::vector<int>{3, 1}));
  CAF_CHECK_EQUAL(d.nodes[1].cpus_line, 14);
  CAF_CHECK(check_node_cpus(d, d.nodes[1], 4));
  CAF_CHECK(check_node_cpus(d, d.nodes[0], 1));
  auto two = check_node_cpus(d, d.nodes[1], 2);
  CAF_REQUIRE(!two);
  CAF_CHECK(two.error() == errc::config_error);
  CAF_CHECK_EQUAL(two.error().context,
                  "lab.toml:14: field 'nodes[1].cpus[0]': node 'analysis': CPU 3 does not exist "
                  "on this machine (it has 2 CPUs, numbered 0 to 1)");
  CAF_CHECK(machine_cpu_count() >= 1);
  auto with = [&](const std::string& cpus) {
    return error_of(replaced(base, "name = \"analysis\"\n", "name = \"analysis\"\n" + cpus + "\n"));
  };
  CAF_CHECK(
      with("cpus = []")
          .starts_with(
              "lab.toml:14: field 'nodes[1].cpus': node 'analysis': must name at least one CPU"));
  CAF_CHECK(with("cpus = [1, -2]")
                .starts_with("lab.toml:14: field 'nodes[1].cpus[1]': node 'analysis': CPU -2 is "
                             "out of range [0, 1023]"));
  CAF_CHECK(
      with("cpus = [1, 1]")
          .starts_with(
              "lab.toml:14: field 'nodes[1].cpus[1]': node 'analysis': CPU 1 is named twice"));
  CAF_CHECK(with("cpus = [\"1\"]")
                .starts_with("lab.toml:14: field 'nodes[1].cpus[0]': node 'analysis': expected a "
                             "CPU number, found a "
                             "string"));
  CAF_CHECK(with("cpus = 1")
                .starts_with("lab.toml:14: field 'nodes[1].cpus': node 'analysis': expected an "
                             "array of CPU numbers"));
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

namespace {

// The base deployment on two hosts, the registry embedded in host a's run.
// Host a is this machine (127.0.0.1); 192.0.2.0/24 is TEST-NET-1, an
// address of no machine.
std::string two_hosts() {
  // Lines: [registry] 4, [[hosts]] 7 and 11, nodes 15 and 24 (host 26).
  auto text = replaced(base, "name = \"lab\"\n",
                       "name = \"lab\"\n\n"
                       "[registry]\nhost = \"a\"\n\n"
                       "[[hosts]]\nname = \"a\"\naddress = \"127.0.0.1\"\n\n"
                       "[[hosts]]\nname = \"b\"\naddress = \"192.0.2.7\"\n");
  text = replaced(text, "name = \"camera\"\n", "name = \"camera\"\nhost = \"a\"\n");
  return replaced(text, "name = \"analysis\"\n", "name = \"analysis\"\nhost = \"b\"\n");
}

} // namespace

CAF_TEST(hosts give nodes and the registry tcp endpoints on their addresses) {
  auto parsed = parse_deployment(two_hosts(), "lab.toml", checks);
  if (!parsed)
    CAF_FAIL(parsed.error().context);
  auto& d = parsed.value();
  CAF_REQUIRE_EQUAL(d.hosts.size(), 2u);
  CAF_CHECK_EQUAL(d.hosts[1].name, "b");
  CAF_CHECK_EQUAL(d.hosts[1].address, "192.0.2.7");
  CAF_CHECK_EQUAL(d.registry.host, "a");
  CAF_CHECK(d.registry.embedded);
  CAF_CHECK_EQUAL(d.registry.endpoint, "tcp://127.0.0.1:5750");
  CAF_CHECK_EQUAL(d.nodes[0].endpoint, "tcp://127.0.0.1:0");
  CAF_CHECK_EQUAL(d.nodes[1].endpoint, "tcp://192.0.2.7:0");
  CAF_CHECK(d.find_host("b") == &d.hosts[1]);
  CAF_CHECK(d.find_host("c") == nullptr);
  CAF_CHECK(!d.security.enabled);
  CAF_CHECK(d.registry_secret_key().empty());
  // Endpoints the file gives are kept; an IPv6 address is bracketed.
  auto kept = replaced(two_hosts(), "host = \"b\"\n",
                       "host = \"b\"\nendpoint = \"tcp://192.0.2.7:6000\"\n");
  kept = replaced(kept, "address = \"127.0.0.1\"", "address = \"fd00::1\"");
  auto again = parse_deployment(kept, "lab.toml", checks);
  CAF_REQUIRE(again.has_value());
  CAF_CHECK_EQUAL(again.value().nodes[1].endpoint, "tcp://192.0.2.7:6000");
  CAF_CHECK_EQUAL(again.value().registry.endpoint, "tcp://[fd00::1]:5750");
  // A registry on a node runs on that node's host.
  auto on_node = replaced(two_hosts(), "host = \"a\"\n\n[[hosts]]",
                          "embedded = false\nnode = \"analysis\"\n\n[[hosts]]");
  auto placed = parse_deployment(on_node, "lab.toml", checks);
  CAF_REQUIRE(placed.has_value());
  CAF_CHECK_EQUAL(placed.value().registry.host, "b");
  CAF_CHECK_EQUAL(placed.value().registry.endpoint, "tcp://192.0.2.7:5750");
}

CAF_TEST(with hosts every node and the registry name a listed host) {
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "host = \"b\"\n", "host = \"c\"\n")),
                  "lab.toml:26: field 'nodes[1].host': unknown host 'c': with [[hosts]], every "
                  "node names one of them (a, b)");
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "host = \"b\"\n", "")),
                  "lab.toml:24: field 'nodes[1].host': missing: with [[hosts]], every node names "
                  "one of them (a, b)");
  CAF_CHECK(error_of(replaced(two_hosts(), "host = \"a\"\n\n[[hosts]]", "\n[[hosts]]"))
                .starts_with("lab.toml:4: field 'registry.host': missing: with [[hosts]], say "
                             "which host's `dxhub run` embeds the registry"));
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "host = \"a\"\n\n[[hosts]]",
                                    "host = \"cellar\"\n\n[[hosts]]")),
                  "lab.toml:5: field 'registry.host': unknown host 'cellar' (the file lists a, b)");
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "host = \"a\"\n\n[[hosts]]",
                                    "host = \"a\"\nembedded = false\nnode = \"camera\"\n\n"
                                    "[[hosts]]")),
                  "lab.toml:5: field 'registry.host': a registry on node 'camera' runs on that "
                  "node's host: give node or host, not both");
  CAF_CHECK_EQUAL(
      error_of(replaced(base, "name = \"lab\"\n", "name = \"lab\"\n[registry]\nhost = \"a\"\n")),
      "lab.toml:4: field 'registry.host': names host 'a' but the file lists no "
      "[[hosts]]: add them, or leave host out");
}

CAF_TEST(hosts are unique and have plausible addresses) {
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "name = \"b\"", "name = \"a\"")),
                  "lab.toml:12: field 'hosts[1].name': duplicate host name 'a' (also hosts[0])");
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "192.0.2.7", "127.0.0.1")),
                  "lab.toml:13: field 'hosts[1].address': duplicate address '127.0.0.1' (also "
                  "hosts[0])");
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "\"192.0.2.7\"", "\"tcp://192.0.2.7:5\"")),
                  "lab.toml:13: field 'hosts[1].address': 'tcp://192.0.2.7:5' is not an IP address "
                  "or host name (no scheme, port or path)");
  CAF_CHECK_EQUAL(error_of(replaced(two_hosts(), "address = \"192.0.2.7\"\n", "")),
                  "lab.toml:11: field 'hosts[1].address': missing (required)");
  CAF_CHECK(error_of(replaced(two_hosts(), "address = \"192.0.2.7\"", "adress = \"192.0.2.7\""))
                .starts_with("lab.toml:13: field 'hosts[1].adress': unknown field; this table "
                             "knows: name, address"));
}

CAF_TEST(security names every key file with defaults relative to the file) {
  auto text = two_hosts() + "\n[security]\nkey_dir = \"keys\"\n";
  auto parsed = parse_deployment(text, "/srv/lab/lab.toml", checks);
  if (!parsed)
    CAF_FAIL(parsed.error().context);
  auto& sec = parsed.value().security;
  CAF_CHECK(sec.enabled);
  CAF_CHECK_EQUAL(sec.key_dir, "/srv/lab/keys");
  CAF_CHECK_EQUAL(sec.allow_file, "/srv/lab/keys/allowed.keys");
  CAF_CHECK_EQUAL(sec.registry_key, "/srv/lab/keys/registry.key");
  CAF_REQUIRE_EQUAL(sec.node_keys.size(), 2u);
  CAF_CHECK_EQUAL(sec.node_keys.at("camera"), "/srv/lab/keys/camera.key");
  CAF_CHECK_EQUAL(sec.node_keys.at("analysis"), "/srv/lab/keys/analysis.key");
  CAF_CHECK_EQUAL(parsed.value().registry_secret_key(), "/srv/lab/keys/registry.key");
  // Overrides: names relative to key_dir, absolute paths as they are.
  auto custom = two_hosts()
                + "\n[security]\nkey_dir = \"/etc/lab\"\nallow = \"peers.txt\"\n"
                  "registry_key = \"/root/reg.key\"\nkeys = { camera = \"host-a.key\" }\n";
  auto other = parse_deployment(custom, "/srv/lab/lab.toml", checks);
  CAF_REQUIRE(other.has_value());
  auto& sec2 = other.value().security;
  CAF_CHECK_EQUAL(sec2.key_dir, "/etc/lab");
  CAF_CHECK_EQUAL(sec2.allow_file, "/etc/lab/peers.txt");
  CAF_CHECK_EQUAL(sec2.registry_key, "/root/reg.key");
  CAF_CHECK_EQUAL(sec2.node_keys.at("camera"), "/etc/lab/host-a.key");
  CAF_CHECK_EQUAL(sec2.node_keys.at("analysis"), "/etc/lab/analysis.key");
  // A registry on a node uses that node's key.
  auto on_node = replaced(text, "host = \"a\"\n\n[[hosts]]",
                          "embedded = false\nnode = \"analysis\"\n\n[[hosts]]");
  auto placed = parse_deployment(on_node, "/srv/lab/lab.toml", checks);
  CAF_REQUIRE(placed.has_value());
  CAF_CHECK_EQUAL(placed.value().registry_secret_key(), "/srv/lab/keys/analysis.key");
  // Security works without hosts as well (one machine, tcp on loopback).
  auto single = parse_deployment(std::string{base} + "\n[security]\nkey_dir = \"k\"\n",
                                 "/srv/lab/lab.toml", checks);
  CAF_REQUIRE(single.has_value());
  CAF_CHECK_EQUAL(single.value().security.node_keys.at("camera"), "/srv/lab/k/camera.key");
}

CAF_TEST(security errors name file line and field) {
  auto text = two_hosts() + "\n[security]\n"; // line 33
  CAF_CHECK_EQUAL(error_of(text), "lab.toml:33: field 'security.key_dir': missing (required)");
  CAF_CHECK_EQUAL(error_of(text + "key_dir = \"k\"\nkeys = { cellar = \"c.key\" }\n"),
                  "lab.toml:35: field 'security.keys.cellar': unknown node 'cellar'");
  CAF_CHECK_EQUAL(error_of(text + "key_dir = \"k\"\nkeys = { camera = 1 }\n"),
                  "lab.toml:35: field 'security.keys.camera': expected a string, found an integer");
  CAF_CHECK_EQUAL(error_of(text + "key_dir = \"k\"\nallow = \"\"\n"),
                  "lab.toml:35: field 'security.allow': must not be empty (leave it out for "
                  "allowed.keys)");
  CAF_CHECK(error_of(text + "key_dir = \"k\"\nsecret = \"x\"\n")
                .starts_with("lab.toml:35: field 'security.secret': unknown field; this table "
                             "knows: key_dir, allow, registry_key, keys"));
}

CAF_TEST(the host of this machine is found by its address) {
  auto parsed = parse_deployment(two_hosts(), "lab.toml", checks);
  CAF_REQUIRE(parsed.has_value());
  auto& d = parsed.value();
  // Asked for by name.
  auto b = select_host(d, "b", {});
  CAF_REQUIRE(b.has_value());
  CAF_CHECK_EQUAL(b.value(), "b");
  auto unknown = select_host(d, "cellar", {});
  CAF_REQUIRE(!unknown);
  CAF_CHECK_EQUAL(unknown.error().context, "lab.toml: --host cellar: no such host; the file lists "
                                           "a (127.0.0.1), b (192.0.2.7)");
  // By the machine's addresses: this machine has 127.0.0.1, never 192.0.2.7.
  auto mine = machine_addresses();
  CAF_CHECK(std::find(mine.begin(), mine.end(), "127.0.0.1") != mine.end());
  auto found = select_host(d, "", mine);
  CAF_REQUIRE(found.has_value());
  CAF_CHECK_EQUAL(found.value(), "a");
  auto none = select_host(d, "", {"10.1.2.3"});
  CAF_REQUIRE(!none);
  CAF_CHECK_EQUAL(none.error().context,
                  "lab.toml: no host of the file has an address of this machine (it has "
                  "10.1.2.3; the file lists a (127.0.0.1), b (192.0.2.7)): say which with "
                  "--host NAME");
  auto both = select_host(d, "", {"127.0.0.1", "192.0.2.7"});
  CAF_REQUIRE(!both);
  CAF_CHECK_EQUAL(both.error().context, "lab.toml: several hosts of the file have an address of "
                                        "this machine (a, b): say which with --host NAME");
  // Host names are resolved: "localhost" is 127.0.0.1 (or ::1).
  auto named =
      parse_deployment(replaced(two_hosts(), "\"127.0.0.1\"", "\"localhost\""), "lab.toml", checks);
  CAF_REQUIRE(named.has_value());
  auto by_name = select_host(named.value(), "", {"127.0.0.1", "::1"});
  CAF_REQUIRE(by_name.has_value());
  CAF_CHECK_EQUAL(by_name.value(), "a");
  // Without [[hosts]]: no host to pick, and --host is an error.
  auto single = parse_deployment(base, "lab.toml", checks);
  CAF_REQUIRE(single.has_value());
  auto no_host = select_host(single.value(), "", mine);
  CAF_REQUIRE(no_host.has_value());
  CAF_CHECK(no_host.value().empty());
  auto asked = select_host(single.value(), "a", mine);
  CAF_REQUIRE(!asked);
  CAF_CHECK_EQUAL(asked.error().context, "lab.toml: --host a but the file lists no [[hosts]]");
}

CAF_TEST(a host name in a tcp endpoint becomes an address to bind) {
  CAF_CHECK_EQUAL(bindable_endpoint("tcp://localhost:5750"), "tcp://127.0.0.1:5750");
  CAF_CHECK_EQUAL(bindable_endpoint("tcp://10.0.0.1:0"), "tcp://10.0.0.1:0");
  CAF_CHECK_EQUAL(bindable_endpoint("tcp://[fd00::1]:7"), "tcp://[fd00::1]:7");
  CAF_CHECK_EQUAL(bindable_endpoint("tcp://*:7"), "tcp://*:7");
  CAF_CHECK_EQUAL(bindable_endpoint("ipc:///tmp/x"), "ipc:///tmp/x");
}

CAF_TEST(hosts of one file derive the same run token) {
  auto one = parse_deployment(two_hosts(), "lab.toml", checks);
  auto same = parse_deployment(two_hosts(), "/elsewhere/lab.toml", checks);
  auto edited = parse_deployment(two_hosts() + "# edited\n", "lab.toml", checks);
  CAF_REQUIRE(one && same && edited);
  auto token = shared_run_token(one.value());
  CAF_CHECK_EQUAL(token.size(), 32u);
  CAF_CHECK_EQUAL(token, shared_run_token(same.value()));
  CAF_CHECK_NOT_EQUAL(token, shared_run_token(edited.value()));
}

CAF_TEST(the hosts example parses field by field) {
  const char* source_dir = std::getenv("DXHUB_SOURCE_DIR");
  CAF_REQUIRE(source_dir != nullptr);
  auto dir = std::string{source_dir} + "/examples/deployments";
  auto parsed = load_deployment(dir + "/hosts.toml", checks);
  if (!parsed)
    CAF_FAIL(parsed.error().context);
  auto& d = parsed.value();
  CAF_REQUIRE_EQUAL(d.hosts.size(), 3u);
  CAF_CHECK_EQUAL(d.hosts[2].name, "lab-c");
  CAF_CHECK_EQUAL(d.hosts[2].address, "10.0.0.3");
  CAF_CHECK_EQUAL(d.registry.host, "lab-a");
  CAF_CHECK_EQUAL(d.registry.endpoint, "tcp://10.0.0.1:5750");
  CAF_REQUIRE_EQUAL(d.nodes.size(), 4u);
  CAF_CHECK_EQUAL(d.nodes[0].endpoint, "tcp://10.0.0.1:5751");
  CAF_CHECK_EQUAL(d.nodes[1].host, "lab-b");
  CAF_CHECK_EQUAL(d.nodes[1].endpoint, "tcp://10.0.0.2:0");
  CAF_CHECK(d.security.enabled);
  CAF_CHECK_EQUAL(d.security.key_dir, dir + "/keys");
  CAF_CHECK_EQUAL(d.security.allow_file, dir + "/keys/allowed.keys");
  CAF_CHECK_EQUAL(d.security.node_keys.at("control"), dir + "/keys/control.key");
  CAF_CHECK_EQUAL(d.registry_secret_key(), dir + "/keys/registry.key");
}
