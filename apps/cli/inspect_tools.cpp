// `dxhub inspect CHANNEL` and `dxhub ls`: what is there, read without taking
// part (the shared-memory segments are mapped read-only), plus the nodes and
// services the registry knows.

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include "cli_node.hpp"
#include "command.hpp"

#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace dxhub::cli {

namespace {

std::string octal_mode(unsigned mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%03o", mode & 07777u);
  return buf;
}

nlohmann::json subscriber_json(const shm::subscriber_info& s, int64_t now) {
  return {
      {"row", s.row},
      {"pid", s.pid},
      {"alive", s.alive},
      {"liveness", shm::to_string(s.state)},
      {"detached", s.detached},
      {"policy", shm::to_string(s.mode)},
      {"queue_depth", s.queue_depth},
      {"queued", s.queued},
      {"held", s.held},
      {"delivered", s.delivered},
      {"dropped", s.dropped},
      {"never_sleeps", s.never_sleeps},
      {"wakeups", s.wakeups},
      {"heartbeat_age_ms", s.last_heartbeat_ns > 0 ? (now - s.last_heartbeat_ns) / 1'000'000 : -1}};
}

nlohmann::json channel_json(const shm::channel_info& c) {
  auto now = monotonic_ns();
  nlohmann::json subs = nlohmann::json::array();
  for (const auto& s : c.subscribers)
    subs.push_back(subscriber_json(s, now));
  return {{"channel", c.channel},
          {"segment", c.segment},
          {"schema", c.schema},
          {"chunk_size", c.chunk_size},
          {"chunk_count", c.chunk_count},
          {"chunks_used", c.chunks_used},
          {"chunks_free", c.chunks_free},
          {"chunks_loaned", c.chunks_loaned},
          {"max_subscribers", c.max_subscribers},
          {"mode", c.mode},
          {"mode_octal", octal_mode(c.mode)},
          {"owner", c.owner},
          {"owner_name", c.owner_name},
          {"group", c.group},
          {"unknown_peers", c.unknown_peers},
          {"publisher",
           {{"pid", c.publisher_pid},
            {"alive", c.publisher_alive},
            {"liveness", shm::to_string(c.publisher_state)},
            {"session", c.session},
            {"sessions", c.sessions},
            {"sequence", c.sequence},
            {"heartbeat_age_ms",
             c.publisher_heartbeat_ns > 0 ? (now - c.publisher_heartbeat_ns) / 1'000'000 : -1}}},
          {"subscribers", subs}};
}

/// How often the publisher woke this reader; "polls" for a reader that
/// never sleeps (spins or polls), whom a publish never wakes.
std::string wakeups_text(const nlohmann::json& s) {
  if (s.value("never_sleeps", false))
    return "polls";
  return std::to_string(s.value("wakeups", uint64_t{0}));
}

void print_channel(const nlohmann::json& c) {
  const auto& p = c["publisher"];
  std::cout << "channel   " << c["channel"].get<std::string>() << "  (segment "
            << c["segment"].get<std::string>() << ")\n"
            << "schema    " << c["schema"].dump() << "\n"
            << "publisher pid " << p["pid"] << (p["alive"].get<bool>() ? " alive" : " gone")
            << ", session " << p["session"] << " (" << p["sessions"] << " sessions), sequence "
            << p["sequence"] << ", heartbeat " << p["heartbeat_age_ms"] << " ms ago\n"
            << "chunks    " << c["chunks_used"] << " used, " << c["chunks_free"] << " free, "
            << c["chunks_loaned"] << " loaned of " << c["chunk_count"] << " x " << c["chunk_size"]
            << " bytes\n"
            << "subscribers (" << c["subscribers"].size() << ")";
  if (c["unknown_peers"].get<int>() > 0)
    std::cout << "  -- " << c["unknown_peers"]
              << " peer(s) of unknown liveness: their chunks are kept";
  std::cout << "\n";
  std::cout << "  row      pid  alive  policy    queue  held   delivered     dropped  heartbeat"
               "   wakeups\n";
  for (const auto& s : c["subscribers"])
    std::cout << "  " << std::setw(3) << s["row"].get<int>() << " " << std::setw(8)
              << s["pid"].get<int>() << "  " << std::setw(5)
              << (s["alive"].get<bool>()                          ? "yes"
                  : s["liveness"].get<std::string>() == "unknown" ? "?"
                                                                  : "no")
              << "  " << std::setw(8) << s["policy"].get<std::string>() << " " << std::setw(3)
              << s["queued"].get<int>() << "/" << std::setw(2) << s["queue_depth"].get<int>() << " "
              << std::setw(5) << s["held"].get<int>() << " " << std::setw(11)
              << s["delivered"].get<uint64_t>() << " " << std::setw(11)
              << s["dropped"].get<uint64_t>() << "  " << std::setw(6)
              << s["heartbeat_age_ms"].get<int64_t>() << " ms  " << std::setw(8) << wakeups_text(s)
              << "\n";
  std::cout << std::flush;
}

struct inspect_options {
  std::string channel;
  bool json = false;
};

int run_inspect(const inspect_options& o) {
  auto info = shm::inspect(o.channel);
  if (!info) {
    auto e = info.error();
    if (e.code == errc::segment_not_found)
      e = {errc::unknown_channel, "no channel '" + o.channel + "' (no segment "
                                      + shm::segment_name(o.channel)
                                      + "); `dxhub ls` lists the channels"};
    return report("inspect", e);
  }
  auto doc = channel_json(info.value());
  if (o.json)
    print_json(doc);
  else
    print_channel(doc);
  return exit_ok;
}

struct ls_options {
  std::string what = "all";
  std::string registry;
  int64_t timeout_ms = dxhub::runtime::default_call_timeout.count();
  bool json = false;
};

nlohmann::json record_json(const registry_record& r) {
  auto props = parse_json(r.properties.text);
  nlohmann::json j{{"name", r.name},        {"node", r.node},           {"host", r.host},
                   {"pid", r.pid},          {"endpoints", r.endpoints}, {"schema", r.schema.name},
                   {"lease_ms", r.lease_ms}};
  if (props && props.value().is_object() && props.value().contains("commands"))
    j["commands"] = props.value()["commands"];
  return j;
}

/// The nodes and services the registry knows, as {"nodes": [...], "services": [...]}.
expected<nlohmann::json> registry_listing(const ls_options& o) {
  auto endpoint = registry_endpoint(o.registry);
  if (endpoint.empty())
    return error{errc::no_registry,
                 "no registry configured: give --registry or set DXHUB_REGISTRY (as `dxhub run` "
                 "prints it)"};
  cli_node n{endpoint};
  DXHUB_TRY(records, n.list("", std::chrono::milliseconds{o.timeout_ms}));
  nlohmann::json out{{"nodes", nlohmann::json::array()},
                     {"services", nlohmann::json::array()},
                     {"registered_channels", nlohmann::json::array()}};
  for (const auto& r : records) {
    if (r.node == "cli-" + std::to_string(::getpid()))
      continue; // this command's own node
    auto key = r.kind == entry_kind::node      ? "nodes"
               : r.kind == entry_kind::service ? "services"
                                               : "registered_channels";
    out[key].push_back(record_json(r));
  }
  return out;
}

int run_ls(const ls_options& o) {
  if (o.what != "all" && o.what != "channels" && o.what != "services" && o.what != "nodes"
      && o.what != "subscribers")
    return report("ls", {errc::invalid_argument, "nothing called '" + o.what
                                                     + "' to list (channels, subscribers, "
                                                       "services, nodes, all)"});
  nlohmann::json doc = nlohmann::json::object();
  if (o.what == "all" || o.what == "channels" || o.what == "subscribers") {
    nlohmann::json channels = nlohmann::json::array();
    nlohmann::json subscribers = nlohmann::json::array();
    for (const auto& name : shm::list_channels()) {
      auto info = shm::inspect(name);
      if (!info) {
        channels.push_back({{"channel", name}, {"error", info.error().what()}});
        continue;
      }
      auto c = channel_json(info.value());
      for (auto s : c["subscribers"]) {
        s["channel"] = name;
        subscribers.push_back(s);
      }
      channels.push_back({{"channel", name},
                          {"schema", c["schema"]},
                          {"publisher_pid", c["publisher"]["pid"]},
                          {"publisher_alive", c["publisher"]["alive"]},
                          {"sequence", c["publisher"]["sequence"]},
                          {"subscribers", c["subscribers"].size()}});
    }
    if (o.what != "subscribers")
      doc["channels"] = channels;
    if (o.what == "all" || o.what == "subscribers")
      doc["subscribers"] = subscribers;
  }
  int rc = exit_ok;
  if (o.what == "all" || o.what == "services" || o.what == "nodes") {
    auto listed = registry_listing(o);
    if (listed) {
      for (auto& [key, value] : listed.value().items())
        if (o.what == "all" || o.what == key)
          doc[key] = value;
      if (o.what == "all")
        doc["registry"] = {{"endpoint", registry_endpoint(o.registry)}};
    } else {
      doc["registry"] = {{"endpoint", registry_endpoint(o.registry)},
                         {"error", listed.error().what()}};
      // Listing everything without a registry configured shows the
      // channels alone; a configured registry that does not answer fails.
      if (o.what != "all" || !registry_endpoint(o.registry).empty())
        rc = report("ls", listed.error());
    }
  }
  if (o.json) {
    print_json(doc);
    return rc;
  }
  if (doc.contains("channels")) {
    std::cout << "CHANNELS\n";
    for (const auto& c : doc["channels"])
      std::cout << "  " << std::left << std::setw(32) << c["channel"].get<std::string>()
                << std::right << " pid " << c.value("publisher_pid", 0)
                << (c.value("publisher_alive", false) ? " alive" : " gone") << "  seq "
                << c.value("sequence", uint64_t{0}) << "  subscribers "
                << c.value("subscribers", std::size_t{0}) << "\n";
  }
  if (doc.contains("subscribers") && o.what == "subscribers")
    for (const auto& s : doc["subscribers"])
      std::cout << "  " << s["channel"].get<std::string>() << " row " << s["row"] << " pid "
                << s["pid"] << " " << s["policy"].get<std::string>() << " delivered "
                << s["delivered"] << " dropped " << s["dropped"] << "\n";
  for (const auto* key : {"nodes", "services"}) {
    if (!doc.contains(key))
      continue;
    std::cout << (std::string{key} == "nodes" ? "NODES\n" : "SERVICES\n");
    for (const auto& r : doc[key])
      std::cout << "  " << std::left << std::setw(32) << r["name"].get<std::string>() << std::right
                << " node " << r["node"].get<std::string>() << " pid " << r["pid"] << "\n";
  }
  if (doc.contains("registry") && doc["registry"].contains("error"))
    std::cout << "SERVICES/NODES: " << doc["registry"]["error"].get<std::string>() << "\n";
  std::cout << std::flush;
  return rc;
}

/// The nodes of a deployment name their segments "dxhub.<deployment>.":
/// `--deployment NAME` looks there instead of under $DXHUB_SHM_PREFIX.
void use_deployment_prefix(const std::string& deployment) {
  if (!deployment.empty())
    ::setenv("DXHUB_SHM_PREFIX", ("dxhub." + deployment + ".").c_str(), 1);
}

} // namespace

void add_inspect(CLI::App& app, int& rc) {
  auto o = std::make_shared<inspect_options>();
  auto prefix = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "inspect", "show a channel: publisher, chunks, subscribers, queues, drops, heartbeats");
  cmd->add_option("channel", o->channel, "channel name")->required();
  cmd->add_option("--deployment", *prefix,
                  "the channel of this deployment (shared-memory prefix dxhub.NAME.)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, prefix, &rc] {
    use_deployment_prefix(*prefix);
    rc = run_inspect(*o);
  });
}

void add_ls(CLI::App& app, int& rc) {
  auto o = std::make_shared<ls_options>();
  auto prefix = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("ls", "list channels, subscribers, services and nodes");
  cmd->add_option("what", o->what, "channels | subscribers | services | nodes | all")
      ->capture_default_str();
  cmd->add_option("--registry", o->registry, "registry endpoint (default: $DXHUB_REGISTRY)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "how long to wait for the registry")
      ->capture_default_str();
  cmd->add_option("--deployment", *prefix,
                  "list the channels of this deployment (shared-memory prefix dxhub.NAME.)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, prefix, &rc] {
    use_deployment_prefix(*prefix);
    rc = run_ls(*o);
  });
}

} // namespace dxhub::cli
