// `dxhub send`, `dxhub tail` and `dxhub registry`: the shell's way to talk to
// services and watch events, through the same runtime API actors use (a
// short-lived node of its own that joins the deployment's registry).

#include "dxhub/apps/registry_host.hpp"
#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/node_options.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/name.hpp"

#include <caf/all.hpp>

#include "cli_node.hpp"
#include "command.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <unistd.h>

namespace dxhub::cli {

namespace {

/// "k=v": v as JSON when it parses (numbers, true, null, objects), else a string.
expected<nlohmann::json> args_of(const std::vector<std::string>& pairs, const std::string& json) {
  nlohmann::json args = nlohmann::json::object();
  if (!json.empty()) {
    auto doc = parse_json(json);
    if (!doc || !doc.value().is_object())
      return error{errc::invalid_argument, "--json must be a JSON object, got: " + json};
    args = std::move(doc.value());
  }
  for (const auto& p : pairs) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      return error{errc::invalid_argument, "--arg wants key=value, got '" + p + "'"};
    auto value = p.substr(eq + 1);
    auto parsed = parse_json(value);
    args[p.substr(0, eq)] = parsed ? std::move(parsed.value()) : nlohmann::json(value);
  }
  return args;
}

struct send_options {
  std::string service;
  std::string command;
  std::vector<std::string> args;
  std::string json_args;
  std::string registry;
  int64_t timeout_ms = dxhub::runtime::default_call_timeout.count();
  bool json = false;
};

int run_send(const send_options& o) {
  if (auto valid = validate_name(o.service, "service"); !valid)
    return report("send", valid.error());
  auto args = args_of(o.args, o.json_args);
  if (!args)
    return report("send", args.error());
  auto endpoint = registry_endpoint(o.registry);
  if (endpoint.empty())
    return report("send", {errc::no_registry, "no registry configured: give --registry or set "
                                              "DXHUB_REGISTRY (as `dxhub run` prints it)"});
  cli_node n{endpoint};
  int rc = exit_ok;
  caf::scoped_actor self{n.system()};
  auto timeout = std::chrono::milliseconds{o.timeout_ms};
  auto svc = n.find(self, o.service, timeout);
  if (!svc)
    return report("send", svc.error());
  auto started = monotonic_ns();
  runtime::call_json(self.ptr(), svc.value(), o.command, json_text{args.value().dump()}, timeout)
      .receive(
          [&](const reply& r) {
            if (!r.ok()) {
              // A refused argument is easier to see next to what --arg made of it.
              auto context = r.error_context;
              if (r.code == errc::invalid_argument)
                context += " (arguments sent: " + args.value().dump() + ")";
              rc = report("send", error{r.code, context});
              if (o.json)
                print_json(nlohmann::json(r));
              return;
            }
            auto result = parse_json(r.result.text);
            nlohmann::json out = result ? result.value() : nlohmann::json(r.result.text);
            if (o.json)
              print_json({{"service", o.service},
                          {"command", o.command},
                          {"result", out},
                          {"latency_ns", monotonic_ns() - started}});
            else
              std::cout << out.dump(2) << std::endl;
          },
          [&](caf::error& e) { rc = report("send", from_caf_error(e)); });
  return rc;
}

struct tail_options {
  std::string prefix;
  std::string log;
  std::string registry;
  uint64_t count = 0;
  int64_t timeout_ms = 0;
  bool json = false;
  bool from_start = false;
};

bool topic_matches(const std::string& topic, const std::string& prefix) {
  return name_has_prefix(topic, prefix);
}

void print_record(const nlohmann::json& j, bool json) {
  if (json) {
    print_json(j);
    return;
  }
  std::cout << j.value("time", "") << "  " << j.value("kind", "") << "  " << j.value("target", "")
            << "  " << j.value("action", "") << "  " << j.value("caller", "") << "  "
            << j["args"].dump();
  if (!j.value("error", "").empty())
    std::cout << "  error: " << j.value("error", "");
  std::cout << std::endl;
}

/// Follows an audit log file (the logger's JSON lines) like `tail -f`.
int tail_log(const tail_options& o) {
  std::ifstream in{o.log};
  if (!in)
    return report("tail", {errc::unknown_channel, "cannot open log '" + o.log + "'"});
  if (!o.from_start)
    in.seekg(0, std::ios::end);
  auto deadline = o.timeout_ms > 0 ? monotonic_ns() + o.timeout_ms * 1'000'000 : 0;
  uint64_t shown = 0;
  std::string partial;
  while (o.count == 0 || shown < o.count) {
    std::string line;
    if (std::getline(in, line)) {
      if (in.eof()) { // a line still being written: keep it for later
        partial += line;
        in.clear();
        continue;
      }
      line = partial + line;
      partial.clear();
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        continue;
      auto topic = j.value("target", "");
      if (!topic_matches(topic, o.prefix))
        continue;
      print_record(j, o.json);
      ++shown;
      continue;
    }
    in.clear();
    if (deadline != 0 && monotonic_ns() > deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  if (o.count > 0 && shown < o.count)
    return report("tail", {errc::timeout, std::to_string(shown) + " of " + std::to_string(o.count)
                                              + " records within the timeout"});
  return exit_ok;
}

/// Subscribes to events through the runtime and prints them.
int tail_events(const tail_options& o) {
  auto endpoint = registry_endpoint(o.registry);
  if (endpoint.empty())
    return report("tail", {errc::no_registry, "no registry configured: give --registry, set "
                                              "DXHUB_REGISTRY, or follow a log with --log FILE"});
  cli_node n{endpoint};
  uint64_t shown = 0;
  {
    caf::scoped_actor self{n.system()};
    auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
    if (auto subscribed = runtime::subscribe_events(me, o.prefix); !subscribed)
      return report("tail", subscribed.error());
    auto wait = o.timeout_ms > 0 ? std::chrono::milliseconds{o.timeout_ms}
                                 : std::chrono::milliseconds{24 * 3600 * 1000};
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (o.count == 0 || shown < o.count) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        break;
      self->receive(
          [&](const event& e) {
            nlohmann::json j{{"time", iso8601(e.wall_ns)},
                             {"wall_ns", e.wall_ns},
                             {"kind", "event"},
                             {"caller", e.source},
                             {"target", e.topic},
                             {"action", e.kind},
                             {"args", nullptr}};
            auto data = parse_json(e.data.text);
            j["args"] = data ? data.value() : nlohmann::json(e.data.text);
            print_record(j, o.json);
            ++shown;
          },
          caf::after(left) >> [] {});
    }
    runtime::unsubscribe_events(me, o.prefix);
  }
  if (o.count > 0 && shown < o.count)
    return report("tail", {errc::timeout, std::to_string(shown) + " of " + std::to_string(o.count)
                                              + " events within the timeout"});
  return exit_ok;
}

struct registry_options {
  std::string endpoint;
  double duration_s = 0;
  bool json = false;
};

/// Waits for SIGINT/SIGTERM (blocked beforehand) or the duration.
void wait_for_stop(const sigset_t& signals, double duration_s) {
  if (duration_s <= 0) {
    int sig = 0;
    sigwait(&signals, &sig);
    return;
  }
  auto whole = static_cast<time_t>(duration_s);
  timespec limit{whole, static_cast<long>((duration_s - static_cast<double>(whole)) * 1e9)};
  (void)sigtimedwait(&signals, nullptr, &limit);
}

int run_registry(const registry_options& o) {
  auto endpoint = registry_endpoint(o.endpoint);
  if (endpoint.empty())
    endpoint = "ipc://" + runtime::with_defaults(runtime::node_options{}).runtime_dir + "/registry";
  // Blocked before the actor system's threads start, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::error_code ignored;
  if (endpoint.rfind("ipc://", 0) == 0)
    std::filesystem::create_directories(std::filesystem::path{endpoint.substr(6)}.parent_path(),
                                        ignored);
  auto host = apps::registry_host::start(endpoint, "registry-" + std::to_string(::getpid()));
  if (!host)
    return report("registry", host.error());
  if (o.json)
    print_json({{"registry", endpoint}, {"pid", ::getpid()}});
  else
    std::cout << "dxhub registry: serving at " << endpoint << " (export DXHUB_REGISTRY=" << endpoint
              << ")" << std::endl;
  wait_for_stop(signals, o.duration_s);
  host.value().reset();
  return exit_ok;
}

} // namespace

void add_send(CLI::App& app, int& rc) {
  auto o = std::make_shared<send_options>();
  auto* cmd = app.add_subcommand("send", "send a command to a service and print its reply");
  cmd->add_option("service", o->service, "service name, e.g. lab/cam0")->required();
  cmd->add_option("command", o->command, "command name, e.g. set_exposure")->required();
  cmd->add_option("--arg", o->args, "argument key=value (value as JSON if it parses)");
  cmd->add_option("--json-args,--args-json", o->json_args, "all arguments as a JSON object");
  cmd->add_option("--registry", o->registry, "registry endpoint (default: $DXHUB_REGISTRY)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "how long to wait for the reply")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "print the reply as JSON");
  cmd->callback([o, &rc] { rc = run_send(*o); });
}

void add_tail(CLI::App& app, int& rc) {
  auto o = std::make_shared<tail_options>();
  auto* cmd = app.add_subcommand("tail", "print events (or audit log records) as they happen");
  cmd->add_option("prefix", o->prefix, "topic prefix, e.g. lab/cam0 (default: everything)");
  cmd->add_option("--log", o->log, "follow this audit log (JSON lines) instead of the network");
  cmd->add_flag("--from-start", o->from_start, "with --log: start at the beginning of the file");
  cmd->add_option("--registry", o->registry, "registry endpoint (default: $DXHUB_REGISTRY)");
  cmd->add_option("--count", o->count, "stop after this many records (0: never)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "stop after this long (0: never)");
  cmd->add_flag("--json", o->json, "print JSON lines");
  cmd->callback([o, &rc] { rc = o->log.empty() ? tail_events(*o) : tail_log(*o); });
}

void add_registry(CLI::App& app, int& rc) {
  auto o = std::make_shared<registry_options>();
  auto* cmd = app.add_subcommand("registry", "run a standalone registry (for several hosts)");
  cmd->add_option("--endpoint", o->endpoint,
                  "where it answers, tcp://... or ipc://... (default: $DXHUB_REGISTRY, else "
                  "an ipc socket in the runtime directory)");
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds (0: on Ctrl-C)");
  cmd->add_flag("--json", o->json, "print where it serves as JSON");
  cmd->callback([o, &rc] { rc = run_registry(*o); });
}

} // namespace dxhub::cli
