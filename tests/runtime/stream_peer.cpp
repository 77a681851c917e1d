// One node of the placement tests: publishes a stream of camera frames,
// receives one (the test body every placement shares), or both, with the
// node configured from key=value arguments:
//   stream_peer [name=N] [registry=EP] [endpoint=EP] [dir=D]
//               [host=ID] [shared_memory=0|1] [networked=0|1] [allow_remote=1]
//               [secret=KEYFILE] [allow=FILE] [registry_pub=FILE]
//               [publish=CHANNEL] [interval_ms=2] [receive=CHANNEL] [count=200]
//               [timeout_ms=20000] [force=zmq] [policy=reliable|latest]
// The receiver prints "RECEIVED <count> <transport>" once `count` frames came
// intact and in order, "BAD <why>" at the first bad one, or "TIMEOUT <n>".

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/tests/runtime/frames.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>

using namespace dxhub;
using namespace std::chrono_literals;

namespace {

using arguments = std::map<std::string, std::string>;

std::string arg(const arguments& args, const std::string& key, std::string fallback = {}) {
  auto it = args.find(key);
  return it == args.end() ? fallback : it->second;
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

runtime::node_options node_of(const arguments& a) {
  runtime::node_options o;
  o.name = arg(a, "name", "stream-" + std::to_string(getpid()));
  o.host_id = arg(a, "host");
  o.registry = arg(a, "registry");
  o.endpoint = arg(a, "endpoint");
  o.runtime_dir = arg(a, "dir");
  o.shared_memory = arg(a, "shared_memory", "1") == "1";
  o.networked = arg(a, "networked", "1") == "1";
  o.allow_remote = arg(a, "allow_remote") == "1";
  o.curve_secret_file = arg(a, "secret");
  o.curve_allow_file = arg(a, "allow");
  o.registry_public_file = arg(a, "registry_pub");
  return o;
}

/// The test body of every placement: frames intact, consecutive, then done.
caf::behavior receiver(caf::event_based_actor* self, std::string channel, int count,
                       runtime::transport force, runtime::policy policy) {
  runtime::subscription_options opts;
  opts.policy = policy;
  opts.queue_depth = 64;
  opts.force = force;
  if (auto sub = runtime::subscribe(self, channel, opts); !sub) {
    say("BAD subscribe: " + sub.error().what());
    std::exit(1);
  }
  auto received = std::make_shared<int>(0);
  auto next = std::make_shared<uint64_t>(0);
  return {
      [=](const runtime::frame& f) {
        auto seq = f.header().sequence;
        if (*received > 0 && seq != *next) {
          say("BAD frame " + std::to_string(seq) + " after " + std::to_string(*next - 1));
          std::exit(1);
        }
        if (!test::intact(f, static_cast<uint16_t>(seq))) {
          say("BAD frame " + std::to_string(seq) + " is torn");
          std::exit(1);
        }
        *next = seq + 1;
        if (++*received == count) {
          say("RECEIVED " + std::to_string(count) + " " + runtime::to_string(f.transport()));
          std::exit(0);
        }
      },
      [](const runtime::channel_status& s) {
        if (s.what == runtime::channel_status::state::refused) {
          say("BAD refused: " + s.detail);
          std::exit(1);
        }
      },
  };
}

/// Publishes frames (content derived from the sequence) until killed.
void publish_forever(runtime::node& node, const std::string& channel, int interval_ms) {
  auto pub = runtime::publish(node, channel, test::camera_schema());
  if (!pub) {
    say("BAD publish: " + pub.error().what());
    std::exit(1);
  }
  say("PUBLISHING");
  for (uint64_t seq = 0;;) {
    // Frame n carries the pattern of n: publish numbers frames from 0.
    if (auto loan = pub.value().loan()) {
      test::fill(loan.value(), static_cast<uint16_t>(seq));
      if (auto sent = pub.value().publish(std::move(loan.value())))
        seq = sent.value().sequence + 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{interval_ms}); // deliberate load
  }
}

} // namespace

int main(int argc, char** argv) {
  arguments args;
  for (int i = 1; i < argc; ++i) {
    std::string kv = argv[i];
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "stream_peer: arguments are key=value, got '%s'\n", argv[i]);
      return 2;
    }
    args[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node node{sys, node_of(args)};
  if (node.startup_error()) {
    say("BAD node: " + node.startup_error()->what());
    return 1;
  }
  if (auto ch = arg(args, "receive"); !ch.empty()) {
    auto force =
        arg(args, "force") == "zmq" ? runtime::transport::zmq : runtime::transport::automatic;
    auto policy = runtime::policy::reliable; // over zmq refused: another host passes latest
    if (!runtime::parse_policy(arg(args, "policy", "reliable"), policy)) {
      say("BAD policy " + arg(args, "policy"));
      return 1;
    }
    sys.spawn(receiver, ch, std::stoi(arg(args, "count", "200")), force, policy);
    say("RECEIVING");
  }
  auto timeout = std::chrono::milliseconds{std::stoi(arg(args, "timeout_ms", "20000"))};
  if (auto ch = arg(args, "publish"); !ch.empty()) {
    std::thread{[&node, ch, ms = std::stoi(arg(args, "interval_ms", "2"))] {
      publish_forever(node, ch, ms);
    }}.detach();
  }
  if (!arg(args, "receive").empty()) {
    // The receiver ends the process on its verdict; this is its deadline.
    std::this_thread::sleep_for(timeout); // bounded wait: the receiver's deadline
    say("TIMEOUT");
    std::_Exit(3);
  }
  for (;;)
    ::pause(); // runs until killed
}
