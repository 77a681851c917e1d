// `dxhub dashboard`: the live web page of a running lab (actors/dashboard.hpp),
// served by a node of this command's own that joins the deployment's
// registry without registering anything, with shared memory on so that its
// image and waveform views read frames in place.

#include "dxhub/actors/dashboard.hpp"
#include "dxhub/apps/registry_host.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"

#include <caf/all.hpp>

#include "command.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace dxhub::cli {

namespace {

struct dashboard_options {
  std::string registry;
  std::string listen = "127.0.0.1:8080";
  std::string token;
  std::string url_file;
  std::string deployment;
  double duration_s = 0;
  bool allow_remote = false;
  bool read_only = false;
  bool json = false;
};

/// The command's node: its own socket directory (removed at the end), shared
/// memory on, nothing announced to the registry (a run's registry takes no
/// strangers; the dashboard only looks up, calls and listens).
class dashboard_node {
public:
  explicit dashboard_node(const std::string& registry)
    : dir_(run_dir()), sys_(cfg_), node_(sys_, options(registry, dir_)) {}

  ~dashboard_node() {
    node_.shutdown();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  dashboard_node(const dashboard_node&) = delete;
  dashboard_node& operator=(const dashboard_node&) = delete;

  caf::actor_system& system() noexcept { return sys_; }

private:
  static std::string run_dir() {
    auto dir = apps::make_run_dir("dashboard");
    return dir ? dir.value() : std::string{};
  }

  static runtime::node_options options(const std::string& registry, const std::string& dir) {
    runtime::node_options opts;
    opts.runtime_dir = dir;
    opts.name = "dashboard-" + std::to_string(::getpid());
    opts.registry = registry;
    opts.announce = false;
    return opts;
  }

  std::string dir_;
  runtime::node_config cfg_;
  caf::actor_system sys_;
  runtime::node node_;
};

/// Waits for SIGINT or SIGTERM (blocked beforehand), or the duration.
void wait_for_stop(const sigset_t& signals, double duration_s) {
  if (duration_s <= 0) {
    int sig = 0;
    sigwait(&signals, &sig);
    return;
  }
  auto whole = static_cast<time_t>(duration_s);
  timespec limit{whole, static_cast<long>((duration_s - static_cast<double>(whole)) * 1e9)};
  while (sigtimedwait(&signals, nullptr, &limit) < 0 && errno == EINTR) {
  }
}

int run_dashboard(const dashboard_options& o) {
  auto endpoint = registry_endpoint(o.registry);
  if (endpoint.empty())
    return report("dashboard", {errc::no_registry,
                                "no registry configured: give --registry or set DXHUB_REGISTRY "
                                "(as `dxhub run` prints it)"});
  if (!o.deployment.empty())
    // NOLINTNEXTLINE(concurrency-mt-unsafe): before the actor system starts any thread
    ::setenv("DXHUB_SHM_PREFIX", ("dxhub." + o.deployment + ".").c_str(), 1);
  actors::dashboard_config cfg;
  cfg.listen = o.listen;
  cfg.allow_remote = o.allow_remote;
  cfg.read_only = o.read_only;
  cfg.token = o.token;
  cfg.url_file = o.url_file;
  // Blocked before the actor system's threads start, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  dashboard_node n{endpoint};
  auto running = actors::start_dashboard(n.system(), cfg);
  if (!running)
    return report("dashboard", running.error());
  if (o.json)
    print_json({{"url", running.value().url},
                {"token", running.value().token},
                {"registry", endpoint},
                {"read_only", o.read_only},
                {"pid", ::getpid()}});
  else
    std::cout << "dxhub dashboard: open " << running.value().url << "\n"
              << "  (the token in the URL is required; " << (o.read_only ? "read-only, " : "")
              << "Ctrl-C stops)" << std::endl;
  wait_for_stop(signals, o.duration_s);
  caf::anon_send_exit(running.value().actor, caf::exit_reason::user_shutdown);
  return exit_ok;
}

} // namespace

void add_dashboard(CLI::App& app, int& rc) {
  auto o = std::make_shared<dashboard_options>();
  auto* cmd = app.add_subcommand(
      "dashboard", "serve a live web page of the lab: nodes, channels, images, events, commands");
  cmd->add_option("--registry", o->registry, "registry endpoint (default: $DXHUB_REGISTRY)");
  cmd->add_option("--listen", o->listen, "HOST:PORT to serve on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_flag("--allow-remote", o->allow_remote,
                "allow a --listen address other than loopback (anyone with the token can "
                "then drive the lab)");
  cmd->add_flag("--read-only,--no-commands", o->read_only, "refuse every command from the page");
  cmd->add_option("--token", o->token, "the token the page needs (default: a random one)");
  cmd->add_option("--url-file", o->url_file, "also write the URL (with the token) here, mode 0600");
  cmd->add_option("--deployment", o->deployment,
                  "show the channels of this deployment (shared-memory prefix dxhub.NAME.)");
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds (0: on Ctrl-C)");
  cmd->add_flag("--json", o->json, "print the URL and token as one JSON line");
  cmd->callback([o, &rc] { rc = run_dashboard(*o); });
}

} // namespace dxhub::cli
