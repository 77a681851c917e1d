// `dxhub run FILE`: starts the nodes of a deployment (one `dxhub-node` each),
// restarts them per policy, shows a live status line from the audit log,
// stops everything on Ctrl-C/SIGTERM or after --duration, and ends with a
// summary (frames, drops, restarts, command latency, where the log is).

#include "dxhub/apps/registry_host.hpp"
#include "dxhub/launch/deployment.hpp"
#include "dxhub/launch/launcher.hpp"
#include "dxhub/runtime/host.hpp"
#include "dxhub/runtime/token.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#include "command.hpp"
#include "run_report.hpp"

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <signal.h>
#include <unistd.h>

namespace dxhub::cli {

namespace {

struct run_options {
  std::string file;
  double duration_s = 0;
  std::string workdir;
  std::string node_program;
  std::string summary_file;
  std::string registry;
  std::string host;
  bool json = false;
  bool progress = false;
};

/// The audit log of the deployment: the path of its first audit_logger (of
/// this host's nodes when it spans several hosts).
std::string audit_log_of(const launch::deployment& dep, const std::string& workdir,
                         const std::string& host) {
  for (const auto& n : dep.nodes) {
    if (!host.empty() && n.host != host)
      continue;
    for (const auto& a : n.actors)
      if (a.type == "audit_logger") {
        auto params = parse_json(a.params.text);
        std::string path = "dxhub-audit.jsonl";
        if (params && params.value().is_object())
          path = params.value().value("path", path);
        auto p = std::filesystem::path{path};
        return (p.is_absolute() ? p : std::filesystem::path{workdir} / p).lexically_normal();
      }
  }
  return {};
}

/// A line of the launcher's own in the audit log (node exits and restarts),
/// appended with one write(2) like the logger's own lines.
void audit_launcher_event(const std::string& log, const std::string& node,
                          const std::string& action, const std::string& detail, bool crashed) {
  if (log.empty())
    return;
  auto now = wall_ns();
  nlohmann::json j{{"time", iso8601(now)},
                   {"wall_ns", now},
                   {"seq", 0},
                   {"kind", "event"},
                   {"caller", "launcher"},
                   {"target", "dxhub/launcher/" + node},
                   {"action", action},
                   {"args", {{"detail", detail}, {"crashed", crashed}}},
                   {"result", nullptr},
                   {"error", ""},
                   {"latency_ns", 0}};
  auto line = j.dump() + "\n";
  int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return;
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

/// Refusals of the run's registry, handed from its thread to the run's.
struct refusal_queue {
  std::mutex mutex;
  std::vector<std::pair<registry_record, error>> items;

  void push(const registry_record& r, const error& e) {
    std::lock_guard lock{mutex};
    items.emplace_back(r, e);
  }
  std::vector<std::pair<registry_record, error>> take() {
    std::lock_guard lock{mutex};
    return std::exchange(items, {});
  }
};

/// The registry endpoint of a run: --registry, else the deployment's, else
/// an ipc socket in the run's own directory.
std::string registry_of(const run_options& o, const launch::deployment& dep,
                        const std::string& run_dir) {
  if (!o.registry.empty())
    return o.registry;
  if (!dep.registry.endpoint.empty())
    return dep.registry.endpoint;
  return "ipc://" + run_dir + "/registry";
}

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

void print_summary(const nlohmann::json& s, double seconds, int rc) {
  const auto& ms = s["latency_ms"];
  std::cout << "\n=== dxhub run: summary ===\n"
            << "ran for          " << fixed(seconds, 1) << " s, exit code " << rc << "\n"
            << "frames           " << s["frames"] << " (" << s["bad_frames"]
            << " failed verification)\n";
  for (const auto& [camera, sessions] : s["cameras"].items()) {
    std::cout << "  " << camera << ": ";
    std::string sep;
    for (const auto& session : sessions) {
      std::cout << sep << session["frames"] << " frames (session " << session["session"] << ")";
      sep = ", then ";
    }
    std::cout << "\n";
  }
  std::cout << "drops            " << s["drops"] << "\n"
            << "crashes          " << s["crashes"] << " (nodes " << s["node_crashes"] << ", actors "
            << s["actor_crashes"] << ")\n"
            << "restarts         " << s["restarts"] << " (actors " << s["actor_restarts"]
            << ", nodes " << s["node_restarts"] << ")\n"
            << "commands         " << s["commands"] << " (" << s["failed_commands"] << " failed)\n"
            << "latency (ms)     p50 " << fixed(ms["p50"].get<double>(), 2) << "  p90 "
            << fixed(ms["p90"].get<double>(), 2) << "  p99 " << fixed(ms["p99"].get<double>(), 2)
            << "  max " << fixed(ms["max"].get<double>(), 2) << "\n"
            << "audit log        " << s["audit_log"].get<std::string>() << " (" << s["audit_lines"]
            << " lines)\n"
            << "registry         " << s["registry"].get<std::string>() << "\n";
  for (const auto& r : s["refused"])
    std::cout << "refused          node '" << r["node"].get<std::string>() << "' (pid " << r["pid"]
              << "): " << r["error"].get<std::string>() << "\n";
  std::cout << std::flush;
}

/// Everything `dxhub run` does while the launcher runs: status line, audit
/// lines for node exits and restarts, the --duration limit.
struct run_watch {
  run_watch(run_report r, progress_line p) : status(std::move(r)), progress(p) {}

  run_report status;
  progress_line progress;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string log;
  double duration_s = 0;
  bool stop_sent = false;
  /// Whether a node was started: a failure after that is the deployment's.
  bool nodes_started = false;
  refusal_queue refusals;
  nlohmann::json refused = nlohmann::json::array();

  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
};

void on_report(run_watch& w, const launch::launch_report& r) {
  if (r.kind == "start")
    w.nodes_started = true;
  if (r.kind == "restart")
    w.status.count_node_restart();
  if (r.kind == "exit" && r.crashed)
    w.status.count_node_crash(r.node);
  if (r.kind == "exit" || r.kind == "restart" || r.kind == "give_up" || r.kind == "hang"
      || r.kind == "start") {
    w.progress.done();
    std::cerr << "dxhub run: " << r.line() << std::endl;
  }
  if (r.kind != "start" && r.kind != "guard" && !r.node.empty())
    audit_launcher_event(w.log, r.node, r.kind, r.detail, r.crashed);
}

/// Prints and keeps what the run's registry refused (a stray node, a second
/// node of a live name).
void report_refusals(run_watch& w) {
  for (auto& [record, why] : w.refusals.take()) {
    w.progress.done();
    std::cerr << "dxhub run: registry refused node '" << record.node << "' (pid " << record.pid
              << "): " << why.what() << std::endl;
    w.refused.push_back({{"node", record.node},
                         {"pid", record.pid},
                         {"host", record.host},
                         {"code", name(why.code)},
                         {"error", why.what()}});
  }
}

void on_tick(run_watch& w, launch::launcher& l) {
  report_refusals(w);
  w.status.follow();
  char head[64];
  std::snprintf(head, sizeof head, "[%6.1f s] ", w.elapsed());
  w.progress.update(head + w.status.status());
  if (w.duration_s > 0 && w.elapsed() >= w.duration_s && !w.stop_sent) {
    w.stop_sent = true;
    l.stop();
  }
}

int run_deployment(const run_options& o) {
  // Each node's actor types are checked against what that node will have
  // (its plugins or its own program) by the launcher, before it starts any.
  auto dep = launch::load_deployment(o.file);
  if (!dep)
    return report("run", dep.error());
  auto workdir = std::filesystem::absolute(o.workdir.empty() ? "." : o.workdir).string();
  std::error_code ec;
  std::filesystem::create_directories(workdir, ec);
  auto name = dep.value().name;
  auto run_dir = apps::make_run_dir(name);
  if (!run_dir)
    return report("run", run_dir.error());
  // Removed at the end, whatever happens: it holds this run's sockets only.
  std::shared_ptr<void> remove_run_dir{nullptr, [dir = run_dir.value()](void*) {
                                         std::error_code ignored;
                                         std::filesystem::remove_all(dir, ignored);
                                       }};
  // Several hosts: only this one's nodes (and the registry if it is here).
  auto host = launch::select_host(dep.value(), o.host, launch::machine_addresses());
  if (!host)
    return report("run", host.error());
  const auto& here = host.value();
  if (!here.empty()) {
    bool any = false;
    for (const auto& n : dep.value().nodes)
      any = any || n.host == here;
    if (!any)
      return report("run", {errc::config_error,
                            o.file + ": host '" + here + "' runs no node of the deployment"});
  }
  auto endpoint = registry_of(o, dep.value(), run_dir.value());
  // One `dxhub run` per host: they cannot agree on a random token, so all
  // derive it from the file (CURVE decides who may join at all).
  auto token = here.empty() ? runtime::random_token() : launch::shared_run_token(dep.value());
  bool registry_here =
      dep.value().registry.embedded && (here.empty() || dep.value().registry.host == here);
  run_watch w{run_report{audit_log_of(dep.value(), workdir, here)}, progress_line{o.progress}};
  w.log = w.status.path();
  w.duration_s = o.duration_s;
  std::unique_ptr<apps::registry_host> registry;
  if (registry_here) {
    actors::registry_options ropts;
    ropts.run_token = token;
    ropts.on_refused = [&w](const registry_record& r, const error& e) { w.refusals.push(r, e); };
    apps::registry_security keys;
    if (dep.value().security.enabled) {
      keys.secret_file = dep.value().registry_secret_key();
      keys.allow_file = dep.value().security.allow_file;
    }
    if (!here.empty())
      keys.host_id = runtime::local_host_id() + "/" + here;
    auto started = apps::registry_host::start(launch::bindable_endpoint(endpoint),
                                              name + "-launcher", std::move(ropts), keys);
    if (!started)
      return report("run", started.error());
    registry = std::move(started).value();
  }
  for (auto& n : dep.value().nodes) {
    n.env.try_emplace("DXHUB_REGISTRY", endpoint);
    n.env.try_emplace("DXHUB_RUNTIME_DIR", run_dir.value());
    n.env["DXHUB_RUN_TOKEN"] = token; // not the deployment's to choose
  }
  std::cerr << "dxhub run: deployment '" << name << "' (" << dep.value().nodes.size() << " nodes"
            << (here.empty() ? "" : ", host " + here) << ")"
            << (o.duration_s > 0 ? ", for " + fixed(o.duration_s, 1) + " s" : "") << "; audit log "
            << (w.log.empty() ? "none" : w.log) << "\n"
            << "dxhub run: registry " << endpoint
            << (registry ? " (embedded)"
                : dep.value().registry.node.empty()
                    ? " (on host " + dep.value().registry.host + ")"
                    : " (on node " + dep.value().registry.node + ")")
            << "; other shells: export DXHUB_REGISTRY=" << endpoint
            << " DXHUB_SHM_PREFIX=" << dep.value().shm_prefix() << std::endl;
  launch::launcher_options lopts;
  lopts.node_program = o.node_program;
  lopts.host = here;
  lopts.check_actor_types = true;
  lopts.workdir = workdir;
  lopts.run_dir = run_dir.value(); // removed by the launcher's guard after a kill -9
  lopts.tick = std::chrono::milliseconds{100};
  lopts.on_report = [&w](const launch::launch_report& r) { on_report(w, r); };
  // The tick stops the launcher it runs in: known once it is constructed.
  launch::launcher* running = nullptr;
  lopts.on_tick = [&w, &running] {
    if (running != nullptr)
      on_tick(w, *running);
  };
  launch::launcher l{std::move(dep.value()), lopts};
  running = &l;
  launch::launcher::stop_on_signals(l);
  int rc = exit_ok;
  std::string stop_reason = o.duration_s > 0 ? "duration" : "signal";
  auto ran = l.run();
  w.progress.done();
  if (!ran) {
    stop_reason = ran.error().what();
    // Once nodes ran, any failure is the deployment's (a crash loop, a node
    // with a configuration error); before, it is the file's or the setup's.
    rc = ran.error().code == errc::restart_limit || w.nodes_started ? exit_failure
                                                                    : exit_code_of(ran.error());
    std::cerr << "dxhub run: " << stop_reason << std::endl;
  } else if (!w.stop_sent && o.duration_s > 0) {
    stop_reason = "every node ended";
  }
  w.status.follow();
  registry.reset();
  report_refusals(w);
  auto summary = w.status.summary();
  summary["refused"] = w.refused;
  summary["deployment"] = name;
  summary["registry"] = endpoint;
  summary["stop"] = stop_reason;
  summary["seconds"] = w.elapsed();
  summary["exit_code"] = rc;
  if (!o.summary_file.empty())
    std::ofstream{o.summary_file} << summary.dump(2) << "\n";
  if (o.json)
    print_json(summary);
  else
    print_summary(summary, w.elapsed(), rc);
  return rc;
}

} // namespace

void add_run(CLI::App& app, int& rc) {
  auto o = std::make_shared<run_options>();
  auto* cmd = app.add_subcommand("run", "run a deployment: start, watch and restart its nodes");
  cmd->add_option("file", o->file, "deployment file (TOML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds (0: on Ctrl-C)")
      ->capture_default_str();
  cmd->add_option("--workdir", o->workdir, "working directory of the nodes (default: here)");
  cmd->add_option("--node-program", o->node_program, "node host program (default: dxhub-node)");
  cmd->add_option("--summary-file", o->summary_file, "also write the summary here as JSON");
  cmd->add_option("--registry", o->registry,
                  "registry endpoint (default: the deployment's, else an ipc socket of this run)");
  cmd->add_option("--host", o->host,
                  "with [[hosts]]: start this host's nodes (default: the host whose address is "
                  "one of this machine's)");
  cmd->add_flag("--json", o->json, "print the summary as JSON");
  cmd->add_flag("--progress", o->progress, "status line even when stderr is no terminal");
  cmd->callback([o, &rc] { rc = run_deployment(*o); });
}

} // namespace dxhub::cli
