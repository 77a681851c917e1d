// A dxhub node for multi-process runtime tests. Roles:
//   runtime_peer publish CHANNEL COUNT INTERVAL_MS
//     waits for a subscriber, publishes COUNT camera frames (content derived
//     from the sequence number), prints "LOAN <seq> <chunk>" for each, then
//     prints "DONE" and lingers until killed.
//   runtime_peer serve REGISTRY RUNTIME_DIR SERVICE
//     a networked node serving SERVICE (commands `move` {x} -> {x} emitting
//     an event "<SERVICE>/state", `hang`, which never answers, `die`, which
//     ends the service, and `audit` {n}, which makes a caller in the peer
//     call `move` {0}..{n-1} through the peer's router: n audit records of
//     the peer's node); prints "READY <endpoint>", then "HANG" for each
//     `hang` it got, and runs until killed.
//   runtime_peer work CHANNEL GROUP DELAY_MS
//     a member of `work` group GROUP of CHANNEL: prints "READY", then
//     "GOT <seq>" for each frame it handles, taking DELAY_MS per frame.
//   runtime_peer idle REGISTRY RUNTIME_DIR
//     a networked node that subscribes to three channels nobody publishes,
//     serves "test/idle" and watches events; prints "READY" and idles.
//   runtime_peer forge REGISTRY RUNTIME_DIR SERVICE
//     an intruder: a networked node that copies SERVICE's registry record,
//     registers it with its own endpoint, then unregisters it; prints
//     "REGISTER <code>" and "UNREGISTER <code>" (errc names) and exits.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/tests/runtime/frames.hpp"
#include "dxhub/tests/runtime/position.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/transports/shm/inspect.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <cstdio>
#include <string>
#include <thread>
#include <unistd.h>

using namespace dxhub;
using namespace std::chrono_literals;

namespace {

runtime::node_options single_node(std::string name) {
  runtime::node_options opts;
  opts.name = std::move(name);
  opts.networked = false;
  return opts;
}

int publish_frames(const std::string& channel, int count, int interval_ms) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node node{sys, single_node("peer-" + std::to_string(getpid()))};
  auto pub = runtime::publish(node, channel, test::camera_schema());
  if (!pub) {
    std::printf("ERROR %s\n", pub.error().what().c_str());
    return 1;
  }
  std::printf("SESSION %llu\n", static_cast<unsigned long long>(pub.value().session()));
  std::fflush(stdout);
  auto subscribed = [&] { // a subscriber must be there, or the frames go nowhere
    auto info = shm::inspect(channel);
    return info && !info.value().subscribers.empty();
  };
  if (!test::wait_until(subscribed, 30s, 5ms)) {
    std::printf("ERROR no subscriber within 30 s\n");
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    auto loan = pub.value().loan();
    if (!loan) {
      std::printf("ERROR %s\n", loan.error().what().c_str());
      return 1;
    }
    test::fill(loan.value(), static_cast<uint16_t>(i));
    auto chunk = loan.value().chunk_index();
    auto sent = pub.value().publish(std::move(loan.value()));
    if (!sent) {
      std::printf("ERROR %s\n", sent.error().what().c_str());
      return 1;
    }
    std::printf("LOAN %llu %u\n", static_cast<unsigned long long>(sent.value().sequence),
                chunk.value_or(~0u));
    std::fflush(stdout);
    if (interval_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{interval_ms}); // deliberate load
  }
  std::printf("DONE\n");
  std::fflush(stdout);
  for (;;)
    ::pause(); // runs until killed
}

using dxhub::test::position;

/// Calls `move` {0}..{n-1} of `service` in this process, all at once.
caf::behavior audited_caller(caf::event_based_actor* self, std::string service, int n) {
  runtime::lookup(self, service).then([=](const runtime::service& svc) {
    for (int i = 0; i < n; ++i)
      runtime::call(self, svc, "move", position{double(i)}).then([](const reply&) {});
  });
  return {};
}

caf::behavior stage(caf::event_based_actor* self, std::string name) {
  runtime::command_table cmds;
  cmds.on<position>("move", [=](const position& p) {
    (void)runtime::emit(self, name + "/state", "moved", json_text{encode_json(p)});
    return p;
  });
  cmds.on<position>("audit", [=](const position& p) {
    self->spawn(audited_caller, name, static_cast<int>(p.x));
    return p;
  });
  if (auto served = runtime::serve(self, name, cmds); !served) {
    std::printf("ERROR %s\n", served.error().what().c_str());
    std::fflush(stdout);
    std::exit(1);
  }
  auto table = cmds.handler();
  return {[=](const command& c) -> caf::result<reply> {
    if (c.name == "hang") {
      std::printf("HANG\n"); // the test acts once the call is here
      std::fflush(stdout);
      return self->make_response_promise<reply>(); // never delivered
    }
    if (c.name == "die") { // the service actor ends mid-request; its process lives on
      self->quit(caf::exit_reason::user_shutdown);
      return self->make_response_promise<reply>();
    }
    return table(c);
  }};
}

int serve_commands(const std::string& registry, const std::string& dir, const std::string& name) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node_options opts;
  opts.name = "peer-" + std::to_string(getpid());
  opts.registry = registry;
  opts.runtime_dir = dir;
  opts.lease = std::chrono::milliseconds{1500};
  runtime::node node{sys, opts};
  if (node.startup_error()) {
    std::printf("ERROR %s\n", node.startup_error()->what().c_str());
    return 1;
  }
  sys.spawn(stage, name);
  std::printf("READY %s\n", node.endpoint().c_str());
  std::fflush(stdout);
  for (;;)
    ::pause(); // runs until killed
}

caf::behavior work_member(caf::event_based_actor* self, std::string channel, std::string group,
                          int delay_ms) {
  runtime::subscription_options opts;
  opts.policy = runtime::policy::work;
  opts.group = std::move(group);
  if (auto sub = runtime::subscribe(self, channel, opts); !sub) {
    std::printf("ERROR %s\n", sub.error().what().c_str());
    std::fflush(stdout);
    std::exit(1);
  }
  std::printf("READY\n");
  std::fflush(stdout);
  return {[=](const runtime::frame& f) {
            std::printf("GOT %llu\n", static_cast<unsigned long long>(f.header().sequence));
            std::fflush(stdout);
            std::this_thread::sleep_for(std::chrono::milliseconds{delay_ms}); // simulated work
          },
          [](const runtime::channel_status&) {}};
}

int work(const std::string& channel, const std::string& group, int delay_ms) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node node{sys, single_node("work-" + std::to_string(getpid()))};
  sys.spawn(work_member, channel, group, delay_ms);
  for (;;)
    ::pause(); // runs until killed
}

// It takes its service name: CAF 0.17's spawn of a function without
// arguments binds a reference to a null tuple (UBSan stops there).
caf::behavior idler(caf::event_based_actor* self, const std::string& service) {
  for (const auto* channel : {"idle/a", "idle/b", "idle/c"})
    if (auto sub = runtime::subscribe(self, channel); !sub) {
      std::printf("ERROR %s\n", sub.error().what().c_str());
      std::fflush(stdout);
      std::exit(1);
    }
  runtime::command_table cmds;
  cmds.on<position>("echo", [](const position& p) { return p; });
  (void)runtime::serve(self, service, cmds);
  (void)runtime::subscribe_events(self, "lab/");
  return {cmds.handler(), [](const runtime::frame&) {}, [](const event&) {},
          [](const runtime::channel_status&) {}};
}

int idle_node(const std::string& registry, const std::string& dir) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node_options opts;
  opts.name = "idle-" + std::to_string(getpid());
  opts.registry = registry;
  opts.runtime_dir = dir;
  runtime::node node{sys, opts};
  if (node.startup_error()) {
    std::printf("ERROR %s\n", node.startup_error()->what().c_str());
    return 1;
  }
  sys.spawn(idler, std::string{"test/idle"});
  std::printf("READY\n");
  std::fflush(stdout);
  for (;;)
    ::pause(); // runs until killed
}

/// The outcome of a registry call as an errc name ("none": accepted).
std::string registry_answer(caf::scoped_actor& self, const runtime::service& registry,
                            const std::string& command, const registry_record& rec) {
  std::string outcome = "no_answer";
  runtime::call(self.ptr(), registry, command, rec)
      .receive([&](const reply& r) { outcome = std::string{name(r.code)}; },
               [&](caf::error& e) { outcome = std::string{name(from_caf_error(e).code)}; });
  return outcome;
}

int forge(const std::string& registry, const std::string& dir, const std::string& target) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node_options opts;
  opts.name = "intruder-" + std::to_string(getpid());
  opts.registry = registry;
  opts.runtime_dir = dir;
  runtime::node node{sys, opts};
  if (node.startup_error()) {
    std::printf("ERROR %s\n", node.startup_error()->what().c_str());
    return 1;
  }
  caf::scoped_actor self{sys};
  runtime::service victim;
  runtime::service reg;
  runtime::lookup(self.ptr(), target)
      .receive([&](const runtime::service& s) { victim = s; }, [](caf::error&) {});
  runtime::lookup(self.ptr(), runtime::registry_service)
      .receive([&](const runtime::service& s) { reg = s; }, [](caf::error&) {});
  if (victim.name.empty() || reg.name.empty()) {
    std::printf("ERROR lookup failed\n");
    return 1;
  }
  auto forged = victim.record; // node, host and pid of the owner: all public
  forged.endpoints = {node.endpoint()};
  std::printf("REGISTER %s\n", registry_answer(self, reg, "register", forged).c_str());
  std::printf("UNREGISTER %s\n", registry_answer(self, reg, "unregister", forged).c_str());
  std::fflush(stdout);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string role = argc > 1 ? argv[1] : "";
  if (role == "publish" && argc == 5)
    return publish_frames(argv[2], std::stoi(argv[3]), std::stoi(argv[4]));
  if (role == "serve" && argc == 5)
    return serve_commands(argv[2], argv[3], argv[4]);
  if (role == "work" && argc == 5)
    return work(argv[2], argv[3], std::stoi(argv[4]));
  if (role == "idle" && argc == 4)
    return idle_node(argv[2], argv[3]);
  if (role == "forge" && argc == 5)
    return forge(argv[2], argv[3], argv[4]);
  std::fprintf(stderr, "usage: runtime_peer publish CHANNEL COUNT INTERVAL_MS\n"
                       "       runtime_peer serve REGISTRY RUNTIME_DIR SERVICE\n"
                       "       runtime_peer work CHANNEL GROUP DELAY_MS\n"
                       "       runtime_peer idle REGISTRY RUNTIME_DIR\n"
                       "       runtime_peer forge REGISTRY RUNTIME_DIR SERVICE\n");
  return 2;
}
