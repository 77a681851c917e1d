// `dxhub record`, `dxhub verify` and `dxhub replay`: runs as HDF5 files
// (docs/recording.md). `record` and `replay` join the deployment as a node
// of their own (shared memory on, unlike the other commands) hosting the
// stock recorder or replayer actor; `verify` only reads the file.

#include "dxhub/actors/recorder.hpp"
#include "dxhub/actors/recording_reader.hpp"
#include "dxhub/actors/replayer.hpp"
#include "dxhub/apps/registry_host.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/reply.hpp"

#include <caf/all.hpp>

#include "command.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <signal.h>
#include <unistd.h>

namespace dxhub::cli {

namespace {

/// A node of this command's own, with shared memory, joined to the registry.
class recording_node {
public:
  recording_node(const std::string& registry, const std::string& role)
    : dir_(run_dir(role)), sys_(cfg_), node_(sys_, options(registry, role, dir_)) {}

  ~recording_node() {
    node_.shutdown();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  caf::actor_system& system() noexcept { return sys_; }

private:
  static std::string run_dir(const std::string& role) {
    auto dir = apps::make_run_dir(role);
    return dir ? dir.value() : std::string{};
  }

  static runtime::node_options options(const std::string& registry, const std::string& role,
                                       const std::string& dir) {
    runtime::node_options opts;
    opts.runtime_dir = dir;
    opts.name = role + "-" + std::to_string(::getpid());
    opts.registry = registry;
    return opts;
  }

  std::string dir_;
  runtime::node_config cfg_;
  caf::actor_system sys_;
  runtime::node node_;
};

/// SIGINT and SIGTERM, blocked in every thread started after this (the
/// actor system's), so that the command waits for them with sigtimedwait.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// True when a stop signal arrived within `wait`.
bool signalled(const sigset_t& set, std::chrono::milliseconds wait) {
  timespec limit{static_cast<time_t>(wait.count() / 1000),
                 static_cast<long>((wait.count() % 1000) * 1'000'000)};
  return sigtimedwait(&set, nullptr, &limit) > 0;
}

/// Calls command `name` of the actor `a` of this process.
expected<nlohmann::json> ask(caf::scoped_actor& self, const caf::actor& a,
                             const std::string& service, const std::string& name) {
  command c;
  c.caller = "cli:" + std::to_string(::getpid());
  c.service = service;
  c.name = name;
  c.sent_wall_ns = wall_ns();
  expected<nlohmann::json> out = error{errc::timeout, name + " got no answer"};
  self->request(a, std::chrono::seconds{30}, c)
      .receive(
          [&](const reply& r) {
            if (r.ok())
              out = nlohmann::json::parse(r.result.text, nullptr, false);
            else
              out = error{r.code, r.error_context};
          },
          [&](caf::error& e) { out = from_caf_error(e); });
  return out;
}

/// The reason `a` quit, if it did (a recorder that could not open its file).
std::optional<error> quit_reason(caf::scoped_actor& self,
                                 std::chrono::milliseconds wait = std::chrono::milliseconds{0}) {
  std::optional<error> out;
  self->receive([&](caf::down_msg& d) { out = from_caf_error(d.reason); },
                caf::after(wait) >> [] {});
  return out;
}

// -- record -------------------------------------------------------------------

struct record_options {
  std::vector<std::string> channels;
  std::string out;
  std::string registry;
  uint64_t frames = 0;
  double seconds = 0;
  std::string policy = "latest";
  std::vector<std::string> units;
  int deflate = 0;
  uint64_t backlog_mib = 256;
  bool no_audit = false;
  int64_t live_after_ms = 2000;
  bool json = false;
  bool progress = false;
};

int run_record(const record_options& o) {
  auto registry = registry_endpoint(o.registry);
  if (registry.empty())
    return report("record", {errc::no_registry, "no registry configured: give --registry or set "
                                                "DXHUB_REGISTRY (as `dxhub run` prints)"});
  runtime::actor_args args;
  args.name = "record-" + std::to_string(::getpid());
  args.params = {{"channels", o.channels}, {"path", o.out},
                 {"max_frames", o.frames}, {"policy", o.policy},
                 {"deflate", o.deflate},   {"backlog_mib", o.backlog_mib},
                 {"audit", !o.no_audit},   {"live_after_ms", o.live_after_ms}};
  auto units = nlohmann::json::object();
  for (const auto& u : o.units) {
    auto eq = u.find('=');
    if (eq == std::string::npos || eq == 0)
      return report("record", {errc::invalid_argument, "--unit wants FIELD=UNIT, got '" + u + "'"});
    units[u.substr(0, eq)] = u.substr(eq + 1);
  }
  args.params["units"] = units;
  auto cfg = actors::recorder_config_from(args);
  if (!cfg)
    return report("record", cfg.error());
  auto signals = stop_signals();
  recording_node host{registry, "record"};
  caf::scoped_actor self{host.system()};
  auto rec = actors::spawn_recorder(host.system(), cfg.value());
  self->monitor(rec);
  progress_line progress{o.progress};
  auto start = monotonic_ns();
  nlohmann::json state;
  std::string stop = "signal";
  while (true) {
    if (auto died = quit_reason(self))
      return report("record", *died);
    auto s = ask(self, rec, cfg.value().service, "get_state");
    if (!s) {
      if (auto died = quit_reason(self, std::chrono::seconds{2}))
        return report("record", *died);
      return report("record", s.error());
    }
    state = s.value();
    if (state.value("done", false)) {
      stop = "frames";
      break;
    }
    progress.update("record " + o.out + ": " + std::to_string(state.value("frames", 0))
                    + " frames, " + std::to_string(state.value("failures", 0)) + " failures");
    if (o.seconds > 0 && static_cast<double>(monotonic_ns() - start) / 1e9 >= o.seconds) {
      stop = "seconds";
      break;
    }
    if (signalled(signals, std::chrono::milliseconds{200}))
      break;
  }
  progress.done();
  auto final_state = ask(self, rec, cfg.value().service, "stop");
  if (final_state)
    state = final_state.value();
  self->send_exit(rec, caf::exit_reason::user_shutdown);
  self->wait_for(rec);
  state["stop"] = stop;
  if (o.json)
    print_json(state);
  else
    std::cout << "recorded " << state.value("frames", 0) << " frames (" << state.value("bytes", 0)
              << " bytes) of " << o.channels.size() << " channel(s) to " << o.out << ", run "
              << state.value("run_id", "") << std::endl;
  if (state.value("failures", 0) > 0) {
    std::cerr << "dxhub record: " << state.value("failures", 0)
              << " write failures: " << state.value("last_failure", "") << std::endl;
    return exit_failure;
  }
  return exit_ok;
}

// -- verify -------------------------------------------------------------------

struct verify_options {
  std::string file;
  bool json = false;
};

int run_verify(const verify_options& o) {
  auto checked = actors::verify_recording(o.file);
  if (!checked) {
    auto e = checked.error();
    if (e.code == errc::invalid_argument && !std::filesystem::exists(o.file))
      return report("verify", {errc::unknown_channel, "no file " + o.file});
    report("verify", e);
    return exit_failure;
  }
  const auto& r = checked.value();
  if (o.json) {
    print_json(actors::to_json(r));
  } else {
    for (const auto& d : r.datasets)
      std::cout << (d.ok ? "ok   " : "FAIL ") << d.dataset << " (" << d.rows << " rows)"
                << (d.ok ? "" : ": " + d.problem) << "\n";
    std::cout << o.file << ": run " << r.run_id << ", " << (r.complete ? "complete" : "INCOMPLETE")
              << ", " << r.datasets.size() << " datasets, " << r.failures << " failed" << std::endl;
  }
  if (!r.ok()) {
    std::cerr << "dxhub verify: " << o.file << ": " << r.failures
              << " dataset(s) do not match the manifest" << std::endl;
    return exit_failure;
  }
  return exit_ok;
}

// -- replay -------------------------------------------------------------------

struct replay_options {
  std::string file;
  std::string registry;
  std::vector<std::string> channels;
  std::vector<std::string> rename;
  std::string rate = "1.0";
  bool loop = false;
  int64_t start_delay_ms = 0;
  bool json = false;
};

int run_replay(const replay_options& o) {
  // The file first: a bad file is an error before anything joins the deployment.
  auto reader = actors::recording_reader::open(o.file);
  if (!reader) {
    report("replay", reader.error());
    return reader.error().code == errc::invalid_argument ? exit_not_found : exit_failure;
  }
  auto registry = registry_endpoint(o.registry);
  if (registry.empty())
    return report("replay", {errc::no_registry, "no registry configured: give --registry or set "
                                                "DXHUB_REGISTRY"});
  runtime::actor_args args;
  args.name = "replay-" + std::to_string(::getpid());
  args.params = {{"path", o.file},
                 {"channels", o.channels},
                 {"loop", o.loop},
                 {"start_delay_ms", o.start_delay_ms}};
  if (o.rate == "max") {
    args.params["rate"] = "max";
  } else {
    try {
      args.params["rate"] = std::stod(o.rate);
    } catch (const std::exception&) {
      return report("replay", {errc::invalid_argument,
                               "--rate wants a number or 'max', got '" + o.rate + "'"});
    }
  }
  auto rename = nlohmann::json::object();
  for (const auto& r : o.rename) {
    auto eq = r.find('=');
    if (eq == std::string::npos || eq == 0)
      return report("replay", {errc::invalid_argument, "--as wants RECORDED=PUBLISHED"});
    rename[r.substr(0, eq)] = r.substr(eq + 1);
  }
  args.params["rename"] = rename;
  auto cfg = actors::replayer_config_from(args);
  if (!cfg)
    return report("replay", cfg.error());
  auto signals = stop_signals();
  recording_node host{registry, "replay"};
  caf::scoped_actor self{host.system()};
  auto rep = actors::spawn_replayer(host.system(), cfg.value());
  self->monitor(rep);
  nlohmann::json state;
  while (true) {
    if (auto died = quit_reason(self))
      return report("replay", *died);
    auto s = ask(self, rep, cfg.value().service, "get_state");
    if (!s) {
      if (auto died = quit_reason(self, std::chrono::seconds{2}))
        return report("replay", *died);
      return report("replay", s.error());
    }
    state = s.value();
    if (state.value("done", false) || signalled(signals, std::chrono::milliseconds{100}))
      break;
  }
  self->send_exit(rep, caf::exit_reason::user_shutdown);
  self->wait_for(rep);
  if (o.json)
    print_json(state);
  else
    std::cout << "replayed " << state.value("published", 0) << " frames of run "
              << state.value("replay_of", "") << " from " << o.file << std::endl;
  if (state.value("failures", 0) > 0) {
    std::cerr << "dxhub replay: " << state.value("failures", 0)
              << " frames failed: " << state.value("last_failure", "") << std::endl;
    return exit_failure;
  }
  return exit_ok;
}

} // namespace

void add_record(CLI::App& app, int& rc) {
  auto o = std::make_shared<record_options>();
  auto* cmd = app.add_subcommand("record", "record channels, commands and events to an HDF5 file");
  cmd->add_option("channels", o->channels, "the channels to record")->required();
  cmd->add_option("--out,-o", o->out, "the HDF5 file to write")->required();
  cmd->add_option("--registry", o->registry, "registry endpoint (default: $DXHUB_REGISTRY)");
  cmd->add_option("--frames", o->frames, "stop when every channel has this many frames");
  cmd->add_option("--seconds", o->seconds, "stop after this many seconds");
  cmd->add_option("--policy", o->policy, "latest (never slows the publisher) or reliable");
  cmd->add_option("--unit", o->units, "FIELD=UNIT, stored as the field's units attribute");
  cmd->add_option("--deflate", o->deflate, "gzip level 1-9 for the fields (0: none)");
  cmd->add_option("--backlog-mib", o->backlog_mib, "frames waiting for the disk, at most");
  cmd->add_option("--live-after-ms", o->live_after_ms,
                  "start live reading (SWMR) at the latest after this");
  cmd->add_flag("--no-audit", o->no_audit, "leave commands and events out");
  cmd->add_flag("--json", o->json, "print the summary as JSON");
  cmd->add_flag("--progress", o->progress, "show a progress line");
  cmd->callback([o, &rc] { rc = run_record(*o); });
}

void add_verify(CLI::App& app, int& rc) {
  auto o = std::make_shared<verify_options>();
  auto* cmd = app.add_subcommand("verify", "check a recording against its SHA-256 manifest");
  cmd->add_option("file", o->file, "the recording")->required();
  cmd->add_flag("--json", o->json, "print the report as JSON");
  cmd->callback([o, &rc] { rc = run_verify(*o); });
}

void add_replay(CLI::App& app, int& rc) {
  auto o = std::make_shared<replay_options>();
  auto* cmd = app.add_subcommand("replay", "publish the frames of a recording into channels");
  cmd->add_option("file", o->file, "the recording")->required();
  cmd->add_option("--registry", o->registry, "registry endpoint (default: $DXHUB_REGISTRY)");
  cmd->add_option("--channels", o->channels, "recorded channels to replay (default: all)")
      ->delimiter(',');
  cmd->add_option("--as", o->rename, "RECORDED=PUBLISHED: publish a channel under another name");
  cmd->add_option("--rate", o->rate, "speed against the recorded timing, or 'max'");
  cmd->add_flag("--loop", o->loop, "start over at the end");
  cmd->add_option("--start-delay-ms", o->start_delay_ms, "wait before the first frame");
  cmd->add_flag("--json", o->json, "print the summary as JSON");
  cmd->callback([o, &rc] { rc = run_replay(*o); });
}

} // namespace dxhub::cli
