#include "dxhub/apps/node_main.hpp"

#include "dxhub/actors/registry.hpp"
#include "dxhub/actors/stock_actors.hpp"
#include "dxhub/apps/node_host.hpp"
#include "dxhub/runtime/actor_plugin.hpp"
#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/runtime/host.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#if __has_include("dxhub/launch/heartbeat.hpp")
#include "dxhub/launch/heartbeat.hpp"
#define DXHUB_NODE_HEARTBEAT 1
#endif

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <signal.h>
#include <unistd.h>

namespace dxhub::apps {

namespace {

struct node_arguments {
  std::string deployment;
  std::string node;
  std::string registry;
  std::vector<std::string> plugins;
  double duration_s = 0;
  bool list_types = false;
};

/// The first actor that could not start, raised to the main thread by SIGUSR1.
struct start_failure {
  std::mutex mutex;
  std::string actor;
  std::optional<error> why;
};

constexpr int config_failure = 2;

/// Waits for SIGTERM/SIGINT (blocked in every thread) or the duration.
int wait_for_stop(const sigset_t& signals, double duration_s) {
  if (duration_s <= 0) {
    int sig = 0;
    sigwait(&signals, &sig);
    return sig;
  }
  timespec limit{static_cast<time_t>(duration_s),
                 static_cast<long>((duration_s - static_cast<time_t>(duration_s)) * 1e9)};
  int sig = sigtimedwait(&signals, nullptr, &limit);
  return sig < 0 ? 0 : sig;
}

void emit_node_event(runtime::node& n, const std::string& kind, nlohmann::json data) {
  event e;
  e.topic = "dxhub/node/" + n.name();
  e.source = n.name();
  e.kind = kind;
  e.wall_ns = wall_ns();
  e.data = json_text{data.dump()};
  n.emit(std::move(e));
}

/// Loads the node's plugins; prints what failed.
bool load_plugins(const std::string& node, const std::vector<std::string>& plugins) {
  for (const auto& path : plugins) {
    if (auto loaded = runtime::load_actor_plugin(path); !loaded) {
      std::cerr << "dxhub-node " << node << ": " << loaded.error().what() << std::endl;
      return false;
    }
  }
  return true;
}

int run(const node_arguments& args, const sigset_t& signals) {
  actors::register_stock_actors();
  // Only this node's part is checked against this node's types: other nodes
  // may load other plugins or run other programs.
  auto dep = launch::load_deployment(args.deployment);
  if (!dep) {
    std::cerr << "dxhub-node: " << dep.error().what() << std::endl;
    return config_failure;
  }
  const auto* spec = dep.value().find_node(args.node);
  if (spec == nullptr) {
    std::cerr << "dxhub-node: no node '" << args.node << "' in " << args.deployment << std::endl;
    return config_failure;
  }
  auto plugins = spec->plugins;
  plugins.insert(plugins.end(), args.plugins.begin(), args.plugins.end());
  if (!load_plugins(args.node, plugins))
    return config_failure;
  if (args.list_types) {
    std::cout << nlohmann::json(runtime::actor_types()).dump() << std::endl;
    return 0;
  }
  launch::deployment_checks checks;
  checks.known_actor_type = [](std::string_view t) { return runtime::has_actor_type(t); };
  checks.only_node = args.node;
  dep = launch::load_deployment(args.deployment, checks);
  if (!dep) {
    std::cerr << "dxhub-node: " << dep.error().what() << std::endl;
    return config_failure;
  }
  spec = dep.value().find_node(args.node);
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node_options opts;
  opts.name = args.node;
  opts.registry = args.registry;
  if (opts.registry.empty())
    if (const char* env = std::getenv("DXHUB_REGISTRY"))
      opts.registry = env;
  if (opts.registry.empty())
    opts.registry = dep.value().registry.endpoint;
  // `dxhub run` gives each run a socket directory of its own.
  if (const char* dir = std::getenv("DXHUB_RUNTIME_DIR"); dir != nullptr && *dir != '\0')
    opts.runtime_dir = dir;
  opts.endpoint = spec->endpoint;
  // Several hosts: the deployment's host names tell them apart (nodes of one
  // host share memory), also where machines would look alike.
  if (!dep.value().hosts.empty())
    opts.host_id = runtime::local_host_id() + "/" + spec->host;
  // [security]: CURVE on every socket, keys from the deployment's files.
  if (const auto& sec = dep.value().security; sec.enabled) {
    opts.curve_secret_file = sec.node_keys.at(spec->name);
    opts.curve_public_file = opts.curve_secret_file + ".pub";
    opts.curve_allow_file = sec.allow_file;
    opts.registry_public_file = dep.value().registry_secret_key() + ".pub";
    opts.allow_remote = true;
  }
  // The deployment may name this node as the registry's host.
  bool hosts_registry = !dep.value().registry.embedded && dep.value().registry.node == args.node;
  if (hosts_registry) {
    if (opts.registry.empty()) {
      std::cerr << "dxhub-node: node '" << args.node
                << "' hosts the registry but no registry endpoint is set" << std::endl;
      return config_failure;
    }
    opts.endpoint = opts.registry;
  }
  // A host given by name: ZeroMQ binds addresses only. (The registry's node
  // keeps its endpoint and its registry the same string: that is how it
  // knows it is the registry's.)
  opts.endpoint = launch::bindable_endpoint(opts.endpoint);
  if (hosts_registry)
    opts.registry = opts.endpoint;
  // Refused by the registry as a node of another run: stop (exit 2).
  std::atomic<bool> outsider{false};
  opts.on_refused = [&outsider, name = args.node](const error& e) {
    std::cerr << "dxhub-node " << name << ": " << e.what() << std::endl;
    if (e.code == errc::unauthenticated && !outsider.exchange(true))
      ::kill(::getpid(), SIGTERM);
  };
  runtime::node n{sys, opts};
  if (const auto& failed = n.startup_error()) {
    // Running on without its network would look alive and serve nobody.
    std::cerr << "dxhub-node " << args.node << ": cannot open its network"
              << (opts.endpoint.empty() ? "" : " at " + opts.endpoint) << ": " << failed->what()
              << std::endl;
    n.shutdown();
    return config_failure;
  }
  caf::actor registry;
  if (hosts_registry) {
    actors::registry_options ropts; // the run's registry takes the run's nodes only
    ropts.run_token = n.options().run_token;
    registry = actors::spawn_registry(sys, ropts);
  }
#ifdef DXHUB_NODE_HEARTBEAT
  auto beat = launch::start_heartbeat_from_env();
  if (!beat) {
    std::cerr << "dxhub-node: heartbeat: " << beat.error().what() << std::endl;
    return 1;
  }
#endif
  auto failure = std::make_shared<start_failure>();
  auto on_start_failure = [failure](const std::string& actor, const error& why) {
    {
      std::lock_guard lock{failure->mutex};
      if (failure->why)
        return;
      failure->actor = actor;
      failure->why = why;
    }
    ::kill(::getpid(), SIGUSR1);
  };
  auto sup = spawn_node_supervisor(sys, n, *spec, on_start_failure);
  if (!sup) {
    std::cerr << "dxhub-node: " << sup.error().what() << std::endl;
    return config_failure;
  }
  emit_node_event(n, "started", {{"pid", ::getpid()}, {"actors", spec->actors.size()}});
  std::cerr << "dxhub-node " << args.node << ": " << spec->actors.size() << " actors started"
            << std::endl;
  int sig = wait_for_stop(signals, args.duration_s);
  int rc = 0;
  if (sig == SIGUSR1) {
    std::lock_guard lock{failure->mutex};
    std::cerr << "dxhub-node " << args.node << ": actor '" << failure->actor
              << "' cannot start: " << failure->why->what() << "; stopping the node" << std::endl;
    emit_node_event(n, "failed", {{"actor", failure->actor}, {"error", failure->why->what()}});
    rc = config_failure;
  }
  emit_node_event(n, "stopping", {{"signal", sig}});
  {
    caf::scoped_actor self{sys};
    self->send_exit(sup.value(), caf::exit_reason::user_shutdown);
    self->wait_for(sup.value());
    if (registry) {
      self->send_exit(registry, caf::exit_reason::user_shutdown);
      self->wait_for(registry);
    }
  }
  n.shutdown();
  return outsider ? config_failure : rc;
}

} // namespace

int node_main(int argc, char** argv) {
  CLI::App app{"dxhub-node: hosts one node of a deployment (started by `dxhub run`)"};
  node_arguments args;
  app.add_option("--deployment", args.deployment, "the deployment file (TOML)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--node", args.node, "the name of the node to host")->required();
  app.add_option("--registry", args.registry,
                 "registry endpoint (default: $DXHUB_REGISTRY, else the deployment's)");
  app.add_option("--plugin", args.plugins,
                 "an actor plugin to load besides the node's `plugins` (repeatable)");
  app.add_option("--duration-s", args.duration_s, "stop after this many seconds (0: on signal)");
  app.add_flag("--list-types", args.list_types,
               "print the node's actor types (stock and plugins) as JSON and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : config_failure;
  }
  // Blocked before any thread starts, so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1); // an actor that cannot start
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return run(args, signals);
}

} // namespace dxhub::apps
