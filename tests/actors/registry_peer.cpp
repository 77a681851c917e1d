// The registry in a process of its own, for the runtime's multi-process
// tests (which include nothing of actors/ and so cannot host one): a
// networked node answering at its endpoint, which hosts the registry actor
// and relays events, configured from key=value arguments:
//   registry_peer endpoint=EP [name=N] [dir=D] [host=ID] [allow_remote=1]
//                 [secret=KEYFILE] [allow=FILE] [registry_pub=FILE]
// (`dxhub registry` is the same for users, without the test-only options:
// a host id, CURVE keys.) Prints "READY <endpoint>" once the registry lists
// its own node, or "BAD <why>"; then runs until killed.

#include "dxhub/actors/registry.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/tests/support/wait.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
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
  o.name = arg(a, "name", "registry-" + std::to_string(getpid()));
  o.host_id = arg(a, "host");
  o.endpoint = arg(a, "endpoint");
  o.registry = o.endpoint; // the node at the registry's endpoint relays events
  o.runtime_dir = arg(a, "dir");
  o.shared_memory = false;
  o.allow_remote = arg(a, "allow_remote") == "1";
  o.curve_secret_file = arg(a, "secret");
  o.curve_allow_file = arg(a, "allow");
  o.registry_public_file = arg(a, "registry_pub");
  return o;
}

/// True when the registry lists node `name`: it serves.
bool lists_node(caf::actor_system& sys, const std::string& name) {
  caf::scoped_actor self{sys};
  bool listed = false;
  runtime::lookup(self.ptr(), runtime::registry_service)
      .receive(
          [&](const runtime::service& registry) {
            runtime::call(self.ptr(), registry, "list", runtime::registry_query{name})
                .receive(
                    [&](const reply& r) {
                      auto found = runtime::result_of<runtime::registry_records>(r);
                      for (const auto& rec :
                           found ? found.value().records : std::vector<registry_record>{})
                        listed = listed || (rec.kind == entry_kind::node && rec.name == name);
                    },
                    [](caf::error&) {});
          },
          [](caf::error&) {});
  return listed;
}

} // namespace

int main(int argc, char** argv) {
  arguments args;
  for (int i = 1; i < argc; ++i) {
    std::string kv = argv[i];
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "registry_peer: arguments are key=value, got '%s'\n", argv[i]);
      return 2;
    }
    args[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  auto options = node_of(args);
  runtime::node node{sys, options};
  if (node.startup_error()) {
    say("BAD node: " + node.startup_error()->what());
    return 1;
  }
  auto registry = actors::spawn_registry(sys);
  if (!test::wait_until([&] { return lists_node(sys, options.name); }, 20s, 20ms)) {
    say("BAD the registry does not list its own node");
    return 1;
  }
  say("READY " + node.endpoint());
  for (;;)
    ::pause(); // runs until killed
}
