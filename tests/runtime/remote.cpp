#define CAF_SUITE runtime.remote
#include "dxhub/tests/support/caf_test.hpp"

// Services and events between nodes over ZeroMQ, found through a registry:
// the registry (and the event relay) is a real `dxhub registry` process, a
// real child process hosts the service, this process calls it.

#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/node_access.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/runtime/position.hpp"
#include "dxhub/tests/runtime/subscription_flood.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/transports/zmq/blocking_client.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/limits.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace dxhub;
using namespace dxhub::runtime;
using namespace std::chrono_literals;
using dxhub::test::child_process;
using dxhub::test::must_arrive;
using dxhub::test::wait_until;

namespace {

using dxhub::test::position;

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / dxhub::test::unique_name("dxhub-remote");
  std::filesystem::create_directories(dir);
  return dir.string();
}

node_options caller_node(const std::string& dir, const std::string& registry) {
  node_options opts;
  opts.name = "caller-node";
  opts.runtime_dir = dir;
  opts.endpoint = "ipc://" + dir + "/caller.node";
  opts.registry = registry;
  opts.shared_memory = false;
  return opts;
}

/// `dxhub registry` at `endpoint`, once it serves (it prints where).
std::unique_ptr<child_process> start_registry(const std::string& endpoint) {
  auto registry = std::make_unique<child_process>(std::vector<std::string>{
      dxhub::test::built_program("apps/dxhub"), "registry", "--endpoint", endpoint, "--json"});
  auto line = registry->read_line(must_arrive);
  CAF_REQUIRE(line && line->find(endpoint) != std::string::npos);
  return registry;
}

/// A registry process, the caller's node in this process, and a peer node
/// serving "test/stage".
struct remote_fixture {
  std::string dir = temp_dir();
  std::string registry_endpoint = "ipc://" + dir + "/registry";
  std::unique_ptr<child_process> registry = start_registry(registry_endpoint);
  node_config cfg;
  caf::actor_system sys{cfg};
  node hub{sys, caller_node(dir, registry_endpoint)};
  caf::scoped_actor self{sys};

  ~remote_fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  child_process start_peer() {
    child_process peer{{dxhub::test::built_program("tests/runtime/runtime_peer"), "serve",
                        hub.options().registry, dir, "test/stage"}};
    auto line = peer.read_line(must_arrive);
    CAF_REQUIRE(line && line->rfind("READY ", 0) == 0);
    return peer;
  }

  /// Looks the service up until the registry knows it.
  service find(const std::string& name) {
    service found;
    auto known = [&] {
      lookup(self.ptr(), name).receive([&](const service& s) { found = s; }, [](caf::error&) {});
      return !found.name.empty();
    };
    if (!wait_until(known, must_arrive, 20ms))
      CAF_FAIL("service '" << name << "' never appeared in the registry");
    return found;
  }

  /// Whether the registry no longer knows `name`.
  bool gone(const std::string& name) {
    bool unknown = false;
    lookup(self.ptr(), name)
        .receive([](const service&) {},
                 [&](caf::error& e) { unknown = from_caf_error(e).code == errc::unknown_service; });
    return unknown;
  }
};

/// Waits until `peer` prints that its service got a 'hang' call.
bool got_hang(child_process& peer) {
  auto line = peer.read_line(must_arrive);
  return line && *line == "HANG";
}

/// User plus system CPU time of process `pid`, in clock ticks.
std::optional<uint64_t> cpu_ticks(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto close = text.rfind(')'); // the command name may hold spaces
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream fields{text.substr(close + 2)};
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15)
      stime = std::stoull(field);
  }
  return utime + stime;
}

/// Calls 'hang' of `stage` and tells `me` how it ended.
void hanging_caller(caf::event_based_actor* self, const service& stage, const caf::actor& me) {
  call(self, stage, "hang", std::chrono::milliseconds{60000})
      .then([=](const reply&) { self->send(me, std::string{"answered"}); },
            [=](caf::error& e) { self->send(me, e); });
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(remote_tests, remote_fixture)

CAF_TEST(the_node_starts_networked) {
  if (hub.startup_error())
    CAF_FAIL("node did not start: " << hub.startup_error()->what());
  CAF_CHECK(hub.endpoint() == hub.options().endpoint);
}

CAF_TEST(a_service_of_another_process_answers_and_its_events_arrive) {
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(subscribe_events(me, "test/stage"));
  auto peer = start_peer();
  auto stage = find("test/stage");
  CAF_CHECK(stage.via == transport::zmq);
  for (int i = 1; i <= 20; ++i)
    call(self.ptr(), stage, "move", position{double(i)})
        .receive(
            [&](const reply& r) {
              auto p = result_of<position>(r);
              CAF_REQUIRE(p);
              CAF_CHECK(p.value().x == double(i));
            },
            [&](caf::error& e) { CAF_FAIL("move " << i << ": " << sys.render(e)); });
  int events = 0;
  while (events < 20)
    self->receive(
        [&](const event& e) {
          if (e.kind != "moved")
            return;
          ++events;
          CAF_CHECK(e.topic == "test/stage/state");
          CAF_CHECK(decode_json<position>(e.data.text).value().x == double(events));
        },
        caf::after(must_arrive) >> [&] { CAF_FAIL("only " << events << " of 20 events came"); });
  // Wrong argument schema over the wire: an error naming both.
  call(self.ptr(), stage, "move", nothing{})
      .receive(
          [&](const reply& r) {
            CAF_CHECK(r.code == errc::schema_mismatch);
            CAF_CHECK(r.error_context.find("test.position") != std::string::npos);
            CAF_CHECK(r.error_context.find("dxhub.nothing") != std::string::npos);
          },
          [&](caf::error& e) {
            auto err = from_caf_error(e);
            CAF_CHECK(err.code == errc::schema_mismatch);
            CAF_CHECK(err.context.find("test.position") != std::string::npos);
          });
}

CAF_TEST(the_audit_records_of_another_node_reach_this_one_in_order) {
  // A burst of calls inside the peer: its node publishes their audit records
  // in batches (emit_many to this node's relay); none may be lost or reordered.
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(subscribe_events(me, "dxhub/audit/command"));
  auto peer = start_peer();
  auto stage = find("test/stage");
  constexpr int calls = 200;
  call(self.ptr(), stage, "audit", position{double(calls)})
      .receive([](const reply& r) { CAF_REQUIRE(r.ok()); },
               [&](caf::error& e) { CAF_FAIL("audit: " << sys.render(e)); });
  std::vector<int> moved;
  std::map<std::string, uint64_t> next_sequence;
  while (moved.size() < calls)
    self->receive(
        [&](const event& e) {
          auto rec = decode_json<audit_record>(e.data.text);
          CAF_REQUIRE(rec);
          if (rec.value().target != "test/stage" || rec.value().action != "move")
            return; // this process's own call of 'audit'
          CAF_CHECK(rec.value().error.empty());
          CAF_CHECK(e.sequence == next_sequence[e.source]++);
          moved.push_back(static_cast<int>(decode_json<position>(rec.value().args.text).value().x));
        },
        caf::after(must_arrive) >>
            [&] { CAF_FAIL("only " << moved.size() << " of " << calls << " audit records came"); });
  auto sorted = moved;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < calls; ++i)
    CAF_CHECK_EQUAL(sorted[i], i);
}

CAF_TEST(a_node_killed_mid_request_fails_the_call_before_its_timeout) {
  // Watchers of the registry learn of the expiry.
  CAF_REQUIRE(subscribe_events(caf::actor_cast<caf::local_actor*>(self.ptr()),
                               "dxhub/registry/service/test/stage"));
  auto peer = start_peer();
  auto stage = find("test/stage");
  std::thread killer{[&] { // once the call is in the service
    (void)got_hang(peer);  // the call fails either way: only the path differs
    peer.kill(SIGKILL);
  }};
  call(self.ptr(), stage, "hang", std::chrono::milliseconds{60000})
      .receive([&](const reply&) { CAF_FAIL("a dead node answered"); },
               [&](caf::error& e) {
                 auto err = from_caf_error(e);
                 CAF_MESSAGE(err.context);
                 CAF_CHECK(err.code == errc::peer_down);
               });
  killer.join();
  // The caller keeps working: its registration lease (1.5 s) runs out.
  CAF_REQUIRE(wait_until([&] { return gone("test/stage"); }, 8s, 50ms));
  std::vector<std::string> seen;
  while (std::find(seen.begin(), seen.end(), "expired") == seen.end())
    self->receive([&](const event& e) { seen.push_back(e.kind); },
                  caf::after(must_arrive) >>
                      [&] { CAF_FAIL("no 'expired' event for test/stage"); });
  CAF_CHECK(seen.front() == "appeared");
  // And a new peer is found and served.
  auto again = start_peer();
  auto fresh = find("test/stage");
  call(self.ptr(), fresh, "move", position{7})
      .receive([&](const reply& r) { CAF_CHECK(result_of<position>(r).value().x == 7.0); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
}

CAF_TEST(a_remote_service_that_hangs_or_dies_fails_the_call_with_a_named_error) {
  auto peer = start_peer();
  auto stage = find("test/stage");
  call(self.ptr(), stage, "hang", std::chrono::milliseconds{300})
      .receive([&](const reply&) { CAF_FAIL("'hang' answered"); },
               [&](caf::error& e) {
                 auto err = from_caf_error(e);
                 CAF_MESSAGE(err.context);
                 CAF_CHECK(err.code == errc::timeout);
                 CAF_CHECK(err.context.find("'hang'") != std::string::npos);
               });
  // The service actor ends while its node lives on: the caller learns it at
  // once (not at the 60 s timeout), with the service and command named.
  call(self.ptr(), stage, "die", std::chrono::milliseconds{60000})
      .receive([&](const reply&) { CAF_FAIL("'die' answered"); },
               [&](caf::error& e) {
                 auto err = from_caf_error(e);
                 CAF_MESSAGE(err.context);
                 CAF_CHECK(err.code == errc::peer_down);
                 CAF_CHECK(err.context.find("test/stage") != std::string::npos);
                 CAF_CHECK(err.context.find("'die'") != std::string::npos);
               });
  // Its node still answers: the service is unknown there now.
  call(self.ptr(), stage, "move", position{1})
      .receive([&](const reply& r) { CAF_CHECK(r.code == errc::unknown_service); },
               [&](caf::error& e) { CAF_CHECK(from_caf_error(e).code == errc::unknown_service); });
}

CAF_TEST(a_call_still_waiting_when_its_own_node_stops_is_answered_with_an_error) {
  // A remote call sets no CAF timeout of its own: the node must answer it
  // even when it stops with the call in flight ('hang' never answers).
  auto peer = start_peer();
  auto stage = find("test/stage");
  sys.spawn(hanging_caller, stage, caf::actor{self});
  CAF_REQUIRE(got_hang(peer)); // the call is in the service when the caller's node stops
  hub.shutdown();
  bool answered = false;
  self->receive([&](const std::string&) { CAF_FAIL("'hang' answered"); },
                [&](caf::error& e) {
                  auto err = from_caf_error(e);
                  CAF_MESSAGE(err.context);
                  CAF_CHECK(err.code == errc::peer_down);
                  CAF_CHECK(err.context.find("test/stage") != std::string::npos);
                  answered = true;
                },
                caf::after(must_arrive) >> [] {});
  CAF_CHECK(answered);
}

CAF_TEST(nodes_register_again_after_a_registry_restart) {
  auto peer = start_peer();
  find("test/stage");
  registry->kill(SIGKILL);
  CAF_REQUIRE(registry->exit_code(must_arrive).has_value());
  registry = start_registry(registry_endpoint);
  // The new registry starts empty; the peer's renewal fills it again.
  auto stage = find("test/stage");
  call(self.ptr(), stage, "move", position{3})
      .receive([&](const reply& r) { CAF_CHECK(result_of<position>(r).value().x == 3.0); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
}

CAF_TEST(a_forged_record_of_another_nodes_service_is_refused) {
  auto peer = start_peer();
  auto before = find("test/stage");
  // Another process copies the record (node, host, pid are public) with its
  // own endpoint, then tries to remove the real one.
  child_process intruder{{dxhub::test::built_program("tests/runtime/runtime_peer"), "forge",
                          hub.options().registry, dir, "test/stage"}};
  auto registered = intruder.read_line(must_arrive);
  auto unregistered = intruder.read_line(must_arrive);
  CAF_REQUIRE(registered && unregistered);
  CAF_CHECK_EQUAL(*registered, "REGISTER already_exists");
  CAF_CHECK_EQUAL(*unregistered, "UNREGISTER permission_denied");
  CAF_CHECK(intruder.exit_code(must_arrive).value_or(-1) == 0);
  // The registry still sends callers to the owner, and its service answers.
  auto after = find("test/stage");
  CAF_CHECK(after.record.endpoints == before.record.endpoints);
  CAF_CHECK_EQUAL(after.record.pid, before.record.pid);
  call(self.ptr(), after, "move", position{4})
      .receive([&](const reply& r) { CAF_CHECK(result_of<position>(r).value().x == 4.0); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
}

namespace {

/// How many 64 B lookups client `small` gets answered by the node at
/// `endpoint` between sending `huge` from another client (encoded before
/// the race: only the node's side counts) and that one's answer.
int answered_meanwhile(dxhub::zmq::io_loop& loop, const std::string& endpoint, const command& huge,
                       dxhub::zmq::encoding enc) {
  auto big = dxhub::zmq::blocking_client::connect(loop, endpoint);
  auto small = dxhub::zmq::blocking_client::connect(loop, endpoint);
  CAF_REQUIRE(big && small);
  command lookup_cmd;
  lookup_cmd.caller = "test/small";
  lookup_cmd.service = registry_service;
  lookup_cmd.name = "lookup";
  lookup_cmd.args = json_text{R"({"name":"test/x"})"};
  // One of each first: both clients are connected before the race.
  CAF_REQUIRE(small.value()->call<reply>(lookup_cmd, must_arrive, enc).has_value());
  auto payload = dxhub::zmq::encode_payload(huge, enc);
  CAF_REQUIRE(payload.has_value());
  std::atomic<bool> sent{false};
  std::atomic<bool> answered{false};
  std::optional<errc> code;
  std::thread sender{[&] {
    auto header = dxhub::zmq::header_for<command>(dxhub::zmq::message_kind::request, enc);
    sent = true;
    auto answer = big.value()->request(header, std::move(payload).value(), 60s);
    // The error reply of a service nobody serves (a reply of kind `error`
    // comes back as the error value).
    if (!answer)
      code = answer.error().code;
    else if (auto r = dxhub::zmq::decode_payload<reply>(answer.value()))
      code = r.value().code;
    answered = true;
  }};
  while (!sent)
    std::this_thread::yield();
  int meanwhile = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!answered && std::chrono::steady_clock::now() < deadline) {
    lookup_cmd.id = static_cast<uint64_t>(meanwhile + 2);
    auto r = small.value()->call<reply>(lookup_cmd, must_arrive, enc);
    CAF_REQUIRE(r.has_value());
    CAF_CHECK_EQUAL(r.value().code, errc::unknown_service);
    if (!answered)
      ++meanwhile;
  }
  sender.join();
  CAF_CHECK(code == errc::unknown_service);
  return meanwhile;
}

} // namespace

CAF_TEST(a_huge_request_does_not_hold_other_clients_commands_behind_it) {
  // A 50 MiB command (to a service nobody serves: once decoded it is
  // answered at once) while another client keeps sending 64 B lookups to the
  // same node. In binary it decodes in milliseconds: the lookups answered
  // meanwhile are those of its transfer. In JSON its decoding takes the node
  // a large part of a second: on the network thread no lookup would pass
  // during it, and the count would stay that of the transfer. The node is
  // the registry's (a runtime node like any other, in its own process).
  dxhub::zmq::io_loop loop;
  command huge;
  huge.id = 1;
  huge.caller = "test/huge";
  huge.service = "test/nobody";
  huge.name = "anything";
  huge.args = json_text{R"({"blob":")" + std::string(50u << 20, 'a') + R"("})"};
  auto transfer = answered_meanwhile(loop, registry_endpoint, huge, dxhub::zmq::encoding::binary);
  auto decoding = answered_meanwhile(loop, registry_endpoint, huge, dxhub::zmq::encoding::json);
  CAF_MESSAGE("lookups answered meanwhile: " << transfer << " (binary), " << decoding << " (JSON)");
  // On the network thread the JSON count would be the transfer's: no lookup
  // passes while the request decodes. Off it, the decoding adds lookups: 4009
  // against 171 on an idle machine, 2503 against 1916 with the suite running
  // beside it (where the transfer itself is slow). The figure under load is
  // the benchmark's (`dxhub-bench-runtime --parts large`); this asserts only
  // that lookups are answered while it decodes.
  CAF_CHECK_GREATER(decoding, transfer);
}

CAF_TEST(an_idle_node_uses_almost_no_cpu) {
  child_process idle{{dxhub::test::built_program("tests/runtime/runtime_peer"), "idle",
                      hub.options().registry, dir}};
  auto line = idle.read_line(must_arrive);
  CAF_REQUIRE(line && *line == "READY");
  find("test/idle"); // registered: from here on only leases and heartbeats
  // Its start-up over: a tenth of a second without a tick of CPU.
  auto last = cpu_ticks(idle.pid());
  auto quiet = [&] {
    auto now = cpu_ticks(idle.pid());
    bool still = now == last;
    last = now;
    return still;
  };
  CAF_REQUIRE(wait_until(quiet, must_arrive, 100ms));
  auto before = cpu_ticks(idle.pid());
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(10s); // deliberate idle: the measured period
  auto after = cpu_ticks(idle.pid());
  auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CAF_REQUIRE(before && after);
  auto cpu_s = double(*after - *before) / double(sysconf(_SC_CLK_TCK));
  auto share = cpu_s / wall;
  CAF_MESSAGE("idle node: " << cpu_s * 1e3 << " ms CPU in " << wall << " s = " << share * 100
                            << " % of one core");
  CAF_CHECK(share < 0.01);
}

CAF_TEST(subscriptions_beyond_the_frames_cap_are_a_node_event) {
  // A client subscribes to more topics on the node's frames endpoint than the
  // cap allows: the publisher drops its subscriber connections, and the node
  // tells its event subscribers which socket refused what.
  CAF_REQUIRE(subscribe_events(self.ptr(), "dxhub/network").has_value());
  auto* net = runtime::detail::node_access::net(hub);
  CAF_REQUIRE(net != nullptr);
  ::zmq::context_t ctx;
  ::zmq::socket_t flood{ctx, ZMQ_SUB};
  flood.set(::zmq::sockopt::linger, 0);
  flood.set(::zmq::sockopt::sndhwm, 0);
  flood.connect(net->frames().endpoint());
  dxhub::test::flood_subscriptions(flood, dxhub::zmq::limits{}.max_subscriptions + 51);
  auto refused = dxhub::test::first_event(self, must_arrive);
  CAF_REQUIRE(refused);
  CAF_CHECK_EQUAL(refused->topic, "dxhub/network/" + hub.name());
  CAF_CHECK_EQUAL(refused->kind, "refused");
  auto data = refused->data.text;
  CAF_MESSAGE("event: " << data);
  CAF_CHECK(data.find(R"("socket":"frames")") != std::string::npos);
  CAF_CHECK(data.find(R"("error":"subscribers_full")") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
