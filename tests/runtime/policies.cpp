#define CAF_SUITE runtime.policies
#include "dxhub/tests/support/caf_test.hpp"

// Policies are a contract (docs/runtime.md, "Delivery policies"): what a
// transport cannot keep is refused at subscribe time, or, when the transport
// is known only once the publisher turns up, with a `refused` channel status;
// what it accepts it keeps, `reliable_timeout` included.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/policy.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <caf/stateful_actor.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace dxhub;
using namespace dxhub::runtime;
using namespace std::chrono_literals;
using dxhub::test::child_process;
using dxhub::test::forwarder;
using dxhub::test::must_arrive;

namespace {

bool names(const std::string& text, policy p, transport t) {
  return text.find("'" + to_string(p) + "'") != std::string::npos
         && text.find("'" + to_string(t) + "'") != std::string::npos;
}

/// Segments under a prefix of this process, removed at the end.
struct shm_scope {
  static inline const bool isolated = [] {
    auto prefix = "dxhub-test." + std::to_string(getpid()) + ".";
    setenv("DXHUB_SHM_PREFIX", prefix.c_str(), 1);
    return true;
  }();
  ~shm_scope() {
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator{"/dev/shm", ignored})
      if (entry.path().filename().string().rfind(shm::segment_prefix(), 0) == 0)
        std::filesystem::remove(entry.path(), ignored);
  }
};

struct shm_fixture : shm_scope, dxhub::test::node_fixture {
  shm_fixture() : node_fixture(true) {}
};

/// A subscriber that keeps every frame it gets and never lets one go: the
/// stalled reader of a `reliable` channel.
struct hoarder_state {
  std::vector<frame> kept;
};

caf::behavior hoarder(caf::stateful_actor<hoarder_state>* self, std::string channel,
                      subscription_options opts) {
  if (auto sub = subscribe(self, channel, opts); !sub)
    CAF_FAIL("hoarder: " << sub.error().what());
  return {
      [=](const frame& f) { self->state.kept.push_back(f); },
      [](const channel_status&) {},
  };
}

void wait_for_subscribers(const std::string& channel, std::size_t count) {
  auto subscribed = [&] {
    auto info = shm::inspect(channel);
    return info && info.value().subscribers.size() == count;
  };
  if (!dxhub::test::wait_until(subscribed, must_arrive))
    CAF_FAIL("channel '" << channel << "' never had " << count << " subscribers");
}

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / dxhub::test::unique_name("dxhub-policies");
  std::filesystem::create_directories(dir);
  return dir.string();
}

node_options networked_node(const std::string& name, const std::string& host,
                            const std::string& dir, const std::string& registry,
                            bool shared_memory) {
  node_options opts;
  opts.name = name;
  opts.host_id = host;
  opts.runtime_dir = dir;
  opts.endpoint = "ipc://" + dir + "/" + name + ".node";
  opts.registry = registry;
  opts.shared_memory = shared_memory;
  return opts;
}

/// A `dxhub registry` process and two nodes in this process that pass for
/// two hosts: the publisher's frames reach the subscriber's only over ZeroMQ.
struct two_hosts : shm_scope {
  std::string dir = temp_dir();
  std::string registry_endpoint = "ipc://" + dir + "/registry";
  child_process registry{{dxhub::test::built_program("apps/dxhub"), "registry", "--endpoint",
                          registry_endpoint, "--json"}};
  bool registry_serves = [this] {
    auto line = registry.read_line(must_arrive);
    return line && line->find(registry_endpoint) != std::string::npos;
  }();
  node_config cfg_a;
  caf::actor_system sys_a{cfg_a};
  node host_a{sys_a, networked_node("node-a", "host-a", dir, registry_endpoint, false)};
  node_config cfg_b;
  caf::actor_system sys_b{cfg_b};
  node host_b{sys_b, networked_node("node-b", "host-b", dir, registry_endpoint, true)};
  caf::scoped_actor self{sys_b};
  std::vector<caf::actor> spawned;

  ~two_hosts() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

} // namespace

CAF_TEST(the_table_of_policy_and_transport) {
  for (auto p : {policy::latest, policy::reliable, policy::work})
    for (auto t : {transport::automatic, transport::in_process, transport::shm}) {
      CAF_MESSAGE(to_string(p) << " over " << to_string(t));
      CAF_CHECK(check_policy(p, t));
    }
  CAF_CHECK(check_policy(policy::latest, transport::zmq));
  for (auto p : {policy::reliable, policy::work}) {
    auto fits = check_policy(p, transport::zmq);
    CAF_REQUIRE(!fits);
    CAF_CHECK(fits.error().code == errc::policy_conflict);
    CAF_CHECK(names(fits.error().context, p, transport::zmq));
  }
}

CAF_TEST_FIXTURE_SCOPE(policies_here, dxhub::test::node_fixture)

CAF_TEST(an_unsupported_policy_over_a_forced_transport_is_refused_at_subscribe) {
  for (auto p : {policy::reliable, policy::work}) {
    subscription_options opts;
    opts.policy = p;
    opts.force = transport::zmq;
    auto sub = subscribe(self.ptr(), "test/policy/forced", opts);
    CAF_REQUIRE(!sub);
    CAF_CHECK(sub.error().code == errc::policy_conflict);
    CAF_CHECK(names(sub.error().context, p, transport::zmq));
    CAF_CHECK(sub.error().context.find("test/policy/forced") != std::string::npos);
  }
  // `latest` passes the check and fails for what it is: this node has no registry.
  subscription_options opts;
  opts.force = transport::zmq;
  auto sub = subscribe(self.ptr(), "test/policy/forced", opts);
  CAF_REQUIRE(!sub);
  CAF_CHECK(sub.error().code == errc::no_registry);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(policies_over_shm, shm_fixture)

CAF_TEST(a_stalled_reliable_reader_holds_the_publisher_up_for_its_own_timeout_then_is_reported) {
  auto channel = std::string{"test/policy/stall"};
  auto pub = publish(node, channel, dxhub::test::camera_schema());
  CAF_REQUIRE(pub);
  CAF_REQUIRE(pub.value().transport() == transport::shm);
  // The stalled reader: one frame in hand, one in its queue, then no room.
  subscription_options stalled;
  stalled.policy = policy::reliable;
  stalled.queue_depth = 1;
  stalled.window = 1;
  stalled.reliable_timeout = 200ms; // not the channel's 1000 ms
  spawn(hoarder, channel, stalled);
  subscription_options healthy;
  healthy.policy = policy::reliable;
  healthy.queue_depth = 16;
  healthy.window = 16;
  spawn(forwarder, caf::actor{self}, channel, healthy);
  wait_for_subscribers(channel, 2);
  constexpr int frames = 5;
  for (int i = 0; i < frames; ++i) {
    auto loan = pub.value().loan();
    CAF_REQUIRE(loan);
    dxhub::test::fill(loan.value(), static_cast<uint16_t>(i));
    auto start = std::chrono::steady_clock::now();
    auto report = pub.value().publish(std::move(loan.value()));
    auto waited = std::chrono::steady_clock::now() - start;
    CAF_REQUIRE(report); // a slow reader is reported, not an error
    CAF_CHECK_EQUAL(report.value().sequence, static_cast<uint64_t>(i));
    if (i < 2) {
      CAF_CHECK(report.value().slow.empty()); // in its hand, in its queue
      continue;
    }
    CAF_REQUIRE_EQUAL(report.value().slow.size(), 1u);
    const auto& slow = report.value().slow[0];
    CAF_MESSAGE("frame " << i << ": " << slow);
    CAF_CHECK(slow.find("made no room within 200 ms") != std::string::npos);
    CAF_CHECK(slow.find("misses frame " + std::to_string(i)) != std::string::npos);
    // A lower bound only: the publisher cannot have given up before the
    // reader's deadline (no upper bound: machines may be slow).
    CAF_CHECK(waited >= 200ms);
  }
  // Every other reader got every frame, in order.
  for (int i = 0; i < frames; ++i) {
    bool timed_out = false;
    bool got = false;
    while (!got && !timed_out)
      self->receive(
          [&](const frame& f) {
            CAF_CHECK_EQUAL(f.header().sequence, static_cast<uint64_t>(i));
            CAF_CHECK(dxhub::test::intact(f, static_cast<uint16_t>(i)));
            got = true;
          },
          [](const channel_status&) {}, caf::after(must_arrive) >> [&] { timed_out = true; });
    CAF_REQUIRE(got);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(policies_across_hosts, two_hosts)

CAF_TEST(an_unsupported_policy_is_refused_once_the_publisher_turns_up_on_another_host) {
  CAF_REQUIRE(registry_serves);
  for (auto p : {policy::reliable, policy::work}) {
    auto channel = "test/policy/late-" + to_string(p);
    subscription_options opts;
    opts.policy = p;
    auto sub = sys_b.spawn(forwarder, caf::actor{self}, channel, opts);
    spawned.push_back(sub);
    // Subscribed: the transport is not known yet, so nothing is refused.
    self->request(sub, must_arrive, caf::atom("ping"))
        .receive([](caf::atom_value) {},
                 [](caf::error& e) { CAF_FAIL("subscriber: " << to_string(e)); });
    auto pub = publish(host_a, channel, dxhub::test::camera_schema());
    CAF_REQUIRE(pub);
    bool refused = false;
    bool timed_out = false;
    while (!refused && !timed_out)
      self->receive(
          [&](const channel_status& s) {
            if (s.what != channel_status::state::refused)
              return;
            refused = true;
            CAF_MESSAGE(s.detail);
            CAF_CHECK(s.code == errc::policy_conflict);
            CAF_CHECK(s.via == transport::zmq);
            CAF_CHECK(names(s.detail, p, transport::zmq));
            CAF_CHECK(s.detail.find(channel) != std::string::npos);
          },
          [&](const frame&) { CAF_FAIL("a frame came over a refused path"); },
          [&](const std::string& why) { CAF_FAIL("subscribe failed: " << why); },
          caf::after(must_arrive) >> [&] { timed_out = true; });
    CAF_CHECK(refused);
  }
}

CAF_TEST(latest_takes_frames_from_another_host) {
  CAF_REQUIRE(registry_serves);
  auto channel = std::string{"test/policy/late-latest"};
  auto sub = sys_b.spawn(forwarder, caf::actor{self}, channel, subscription_options{});
  spawned.push_back(sub);
  auto pub = publish(host_a, channel, dxhub::test::camera_schema());
  CAF_REQUIRE(pub);
  // The subscriber learns of the publisher through the registry: publish
  // until a frame comes (a bounded poll, not a guess at how long that takes).
  bool got = false;
  auto deadline = std::chrono::steady_clock::now() + must_arrive;
  for (uint16_t i = 0; !got && std::chrono::steady_clock::now() < deadline; ++i) {
    auto loan = pub.value().loan();
    CAF_REQUIRE(loan);
    dxhub::test::fill(loan.value(), i);
    CAF_REQUIRE(pub.value().publish(std::move(loan.value())));
    self->receive(
        [&](const frame& f) {
          CAF_CHECK(f.transport() == transport::zmq);
          got = true;
        },
        [](const channel_status& s) { CAF_CHECK(s.what != channel_status::state::refused); },
        caf::after(20ms) >> [] {});
  }
  CAF_CHECK(got);
}

CAF_TEST_FIXTURE_SCOPE_END()
