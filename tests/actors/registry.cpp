#define CAF_SUITE actors.registry
#include "dxhub/actors/registry.hpp"

#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/node_access.hpp"
#include "dxhub/runtime/detail/remote_frames.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/runtime/subscription_flood.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/transports/zmq/blocking_client.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/limits.hpp"
#include "dxhub/transports/zmq/security.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

// Registry ownership over CURVE: a real registry node in this process that
// requires CURVE on its endpoint, and real ZeroMQ clients with real key pairs
// that speak the wire protocol (docs/protocol.md 5.1) to it.

using namespace dxhub;
namespace dz = dxhub::zmq;
using namespace std::chrono_literals;
using dxhub::test::must_arrive;

namespace {

struct curve_registry_fixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / dxhub::test::unique_name("dxhub-registry");
  dz::curve_keypair registry_keys = dz::generate_keypair();
  dz::curve_keypair key_a = dz::generate_keypair();
  dz::curve_keypair key_b = dz::generate_keypair();
  std::string endpoint;
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<runtime::node> node;
  caf::actor registry;
  dz::io_loop loop;

  curve_registry_fixture() {
    std::filesystem::create_directories(dir);
    endpoint = "ipc://" + (dir / "registry").string();
    CAF_REQUIRE(dz::save_keypair(dir / "registry.key", registry_keys));
    // The registry's node connects to itself with its own key: listed too.
    std::ofstream{dir / "allow"} << registry_keys.public_key << "\n"
                                 << key_a.public_key << "\n"
                                 << key_b.public_key << "\n";
    runtime::node_options o;
    o.name = "registry";
    o.endpoint = endpoint;
    o.registry = endpoint;
    o.runtime_dir = dir.string();
    o.shared_memory = false;
    o.curve_secret_file = (dir / "registry.key").string();
    o.curve_allow_file = (dir / "allow").string();
    o.registry_public_file = (dir / "registry.key.pub").string();
    node = std::make_unique<runtime::node>(sys, o);
    if (node->startup_error())
      CAF_FAIL("registry node did not start: " << node->startup_error()->what());
    registry = actors::spawn_registry(sys);
  }

  ~curve_registry_fixture() {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    node->shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  /// A client that authenticates with `keys` and trusts the registry's key.
  std::unique_ptr<dz::blocking_client> client_with(const dz::curve_keypair& keys) {
    dz::client_options o;
    o.curve_client = dz::client_security{keys, registry_keys.public_key};
    auto c = dz::blocking_client::connect(loop, endpoint, o);
    CAF_REQUIRE(c.has_value());
    return std::move(c).value();
  }
};

/// A service record of node "node-a" on another host (whose liveness the
/// registry cannot check), carrying `owner_key`.
nlohmann::json record_of_a(const std::string& owner_key) {
  return {{"kind", "service"}, {"name", "test/svc"},
          {"node", "node-a"},  {"host", "host-of-a"},
          {"pid", 4242},       {"endpoints", {"tcp://192.0.2.1:7101"}},
          {"lease_ms", 60000}, {"properties", {{"owner_key", owner_key}}}};
}

/// Sends registry command `name` with JSON `args`; the reply (whose code
/// says whether it worked).
reply ask(dz::blocking_client& client, const std::string& name, const nlohmann::json& args) {
  static uint64_t next_id = 0;
  command cmd;
  cmd.id = ++next_id;
  cmd.caller = "test/client";
  cmd.service = runtime::registry_service;
  cmd.name = name;
  cmd.args = json_text{args.dump()};
  // A client cannot choose the key the registry sees: peer_key is not on the wire.
  cmd.peer_key = "forged";
  auto answer = client.call<reply>(cmd, must_arrive, dz::encoding::json);
  if (!answer)
    CAF_FAIL("no answer to '" << name << "': " << answer.error().what());
  return std::move(answer).value();
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(registry_tests, curve_registry_fixture)

CAF_TEST(a_record_registered_over_curve_is_bound_to_the_registering_key) {
  const std::string secret = "owner-key-of-node-a";
  auto a = client_with(key_a);
  auto b = client_with(key_b);
  auto registered = ask(*a, "register", record_of_a(secret));
  CAF_REQUIRE(registered.code == errc::none);
  // B holds A's owner key (stolen, guessed) but not A's CURVE secret key.
  auto stolen = ask(*b, "register", record_of_a(secret));
  CAF_CHECK_EQUAL(name(stolen.code), name(errc::already_exists));
  CAF_CHECK(mentions(stolen.error_context, key_a.public_key.substr(0, 8)));
  CAF_CHECK(mentions(stolen.error_context, key_b.public_key.substr(0, 8)));
  CAF_CHECK(!mentions(stolen.error_context, secret));
  CAF_CHECK(!mentions(stolen.error_context, key_a.public_key));
  auto removed = ask(*b, "unregister", record_of_a(secret));
  CAF_CHECK_EQUAL(name(removed.code), name(errc::permission_denied));
  CAF_CHECK(mentions(removed.error_context, key_a.public_key.substr(0, 8)));
  CAF_CHECK(!mentions(removed.error_context, secret));
  // The record is still A's: its endpoint, not a changed one of B's.
  auto changed = record_of_a(secret);
  changed["endpoints"] = {"tcp://192.0.2.66:7101"};
  CAF_CHECK_EQUAL(name(ask(*b, "register", changed).code), name(errc::already_exists));
  auto found = ask(*b, "lookup", {{"name", "test/svc"}});
  CAF_REQUIRE(found.code == errc::none);
  auto record = nlohmann::json::parse(found.result.text);
  auto endpoint_of_a = record["endpoints"][0].get<std::string>();
  CAF_CHECK_EQUAL(endpoint_of_a, "tcp://192.0.2.1:7101");
  CAF_CHECK(!record["properties"].contains("owner_key"));
  // B is let in and registers names of its own.
  auto own = record_of_a("owner-key-of-node-b");
  own["name"] = "test/svc-of-b";
  CAF_CHECK_EQUAL(name(ask(*b, "register", own).code), name(errc::none));
  // A itself renews, changes and removes its record.
  CAF_CHECK_EQUAL(name(ask(*a, "register", record_of_a(secret)).code), name(errc::none));
  CAF_CHECK_EQUAL(name(ask(*a, "register", changed).code), name(errc::none));
  found = ask(*a, "lookup", {{"name", "test/svc"}});
  CAF_REQUIRE(found.code == errc::none);
  record = nlohmann::json::parse(found.result.text);
  auto changed_endpoint = record["endpoints"][0].get<std::string>();
  CAF_CHECK_EQUAL(changed_endpoint, "tcp://192.0.2.66:7101");
  CAF_CHECK_EQUAL(name(ask(*a, "unregister", record_of_a(secret)).code), name(errc::none));
  CAF_CHECK_EQUAL(name(ask(*a, "lookup", {{"name", "test/svc"}}).code),
                  name(errc::unknown_service));
}

CAF_TEST(the_owner_key_still_binds_between_clients_of_one_curve_key) {
  // Two processes of one key pair (or one host without CURVE): the owner
  // key tells them apart as before.
  auto a = client_with(key_a);
  auto other = client_with(key_a);
  CAF_REQUIRE(ask(*a, "register", record_of_a("first")).code == errc::none);
  CAF_CHECK_EQUAL(name(ask(*other, "register", record_of_a("second")).code),
                  name(errc::already_exists));
  CAF_CHECK_EQUAL(name(ask(*other, "unregister", record_of_a("second")).code),
                  name(errc::permission_denied));
  CAF_CHECK_EQUAL(name(ask(*other, "register", record_of_a("first")).code), name(errc::none));
}

CAF_TEST(the_registry_node_itself_registers_over_curve) {
  // Its own node record comes in over its CURVE endpoint and is renewed
  // there, with the registry's key.
  auto c = client_with(key_a);
  auto listed = [&] {
    return name(ask(*c, "lookup", {{"name", "registry"}}).code) == name(errc::none);
  };
  CAF_CHECK(dxhub::test::wait_until(listed, must_arrive, 20ms));
}

CAF_TEST(a_curve_key_beyond_its_subscription_cap_is_a_node_event_naming_it) {
  // Key B subscribes to more topics on the node's frames endpoint than one
  // key may hold: the node bans it there and tells its event subscribers.
  caf::scoped_actor self{sys};
  CAF_REQUIRE(runtime::subscribe_events(self.ptr(), "dxhub/network").has_value());
  auto* net = runtime::detail::node_access::net(*node);
  CAF_REQUIRE(net != nullptr);
  ::zmq::context_t ctx;
  ::zmq::socket_t flood{ctx, ZMQ_SUB};
  flood.set(::zmq::sockopt::linger, 0);
  flood.set(::zmq::sockopt::sndhwm, 0);
  flood.set(::zmq::sockopt::curve_serverkey, registry_keys.public_key);
  flood.set(::zmq::sockopt::curve_publickey, key_b.public_key);
  flood.set(::zmq::sockopt::curve_secretkey, key_b.secret_key);
  flood.connect(net->frames().endpoint());
  dxhub::test::flood_subscriptions(flood, dz::limits{}.max_subscriptions_per_client + 51);
  auto refused = dxhub::test::first_event(self, must_arrive);
  CAF_REQUIRE(refused);
  CAF_CHECK_EQUAL(refused->topic, "dxhub/network/registry");
  CAF_CHECK_EQUAL(refused->kind, "refused");
  auto data = nlohmann::json::parse(refused->data.text);
  CAF_MESSAGE("event: " << refused->data.text);
  auto socket = data["socket"].get<std::string>();
  auto code = data["error"].get<std::string>();
  auto reason = data["reason"].get<std::string>();
  CAF_CHECK_EQUAL(socket, "frames");
  CAF_CHECK_EQUAL(code, "subscribers_full");
  CAF_CHECK(mentions(reason, "CURVE key " + key_b.public_key));
  CAF_CHECK(mentions(reason, "per-client cap"));
}

CAF_TEST_FIXTURE_SCOPE_END()
