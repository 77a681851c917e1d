#include "dxhub/actors/detail/dashboard_overview.hpp"

#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace dxhub::actors::detail {

namespace {

/// Whether process `pid` of this host still exists.
bool process_exists(uint32_t pid) {
  return pid != 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

/// Seconds process `pid` of this host has run, or -1.
double uptime_of(uint32_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  if (!std::getline(stat, text))
    return -1;
  // Field 22 (start time in clock ticks after boot) counts from after the
  // command name, which may hold spaces but ends with the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return -1;
  std::istringstream rest{text.substr(close + 2)};
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) {
      std::ifstream up{"/proc/uptime"};
      double boot_s = 0;
      if (!(up >> boot_s))
        return -1;
      return boot_s - std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
  return -1;
}

nlohmann::json json_of(const json_text& t) {
  auto parsed = parse_json(t.text);
  return parsed ? parsed.value() : nlohmann::json(t.text);
}

} // namespace

void dashboard_overview::listed(const std::vector<registry_record>& records, int64_t now_ns) {
  registry_error_.clear();
  services_.clear();
  std::map<std::string, bool> listed_nodes;
  for (const auto& r : records) {
    if (r.kind == entry_kind::service)
      services_.push_back(r);
    if (r.kind != entry_kind::node)
      continue;
    listed_nodes[r.name] = true;
    auto [row, fresh] = nodes_.try_emplace(r.name);
    auto& n = row->second;
    if (fresh) {
      n.changed_ns = now_ns;
    } else if (n.record.pid != r.pid) {
      // The same node name in another process: its launcher restarted it.
      ++n.restarts;
      n.changed_ns = now_ns;
    }
    n.record = r;
    auto alive = r.host != host_ || process_exists(r.pid);
    const auto* status = alive ? "up" : "down";
    if (n.status != status && !fresh)
      n.changed_ns = now_ns;
    n.status = status;
  }
  for (auto& [name, n] : nodes_)
    if (!listed_nodes.contains(name) && n.status != "down") {
      n.status = "down";
      n.changed_ns = now_ns;
    }
}

void dashboard_overview::unlisted(std::string why) {
  registry_error_ = std::move(why);
}

void dashboard_overview::heard(const event& e) {
  static constexpr std::string_view suffix = "/state";
  if (e.kind != "state" && e.kind != "crash")
    return;
  if (e.topic.size() <= suffix.size()
      || e.topic.compare(e.topic.size() - suffix.size(), suffix.size(), suffix) != 0)
    return;
  service_state_[e.topic.substr(0, e.topic.size() - suffix.size())] = json_of(e.data);
}

void dashboard_overview::saw_schema(const std::string& channel, const frame_schema& schema) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : schema.fields) {
    std::vector<uint64_t> dims{f.dims.extents().begin(), f.dims.extents().end()};
    fields.push_back({{"name", f.name}, {"dtype", std::string{name(f.type)}}, {"shape", dims}});
  }
  fields_[channel] = {{"schema", schema.name}, {"fields", fields}};
}

bool dashboard_overview::knows_schema(const std::string& channel) const {
  return fields_.contains(channel);
}

std::vector<std::string> dashboard_overview::channels() {
  return shm::list_channels();
}

nlohmann::json dashboard_overview::channel_json(const std::string& name, int64_t mono_ns,
                                                int own_pid) {
  auto info = shm::inspect(name);
  if (!info)
    return {{"channel", name}, {"error", info.error().what()}};
  const auto& c = info.value();
  auto& rate = rates_[name];
  if (rate.at_ns != 0 && rate.session == c.session && c.sequence >= rate.sequence
      && mono_ns > rate.at_ns) {
    auto seconds = static_cast<double>(mono_ns - rate.at_ns) / 1e9;
    rate.rate_hz = static_cast<double>(c.sequence - rate.sequence) / seconds;
  } else if (rate.session != c.session) {
    rate.rate_hz = 0;
  }
  rate.session = c.session;
  rate.sequence = c.sequence;
  rate.at_ns = mono_ns;
  if (!c.publisher_alive)
    rate.rate_hz = 0;
  nlohmann::json subs = nlohmann::json::array();
  for (const auto& s : c.subscribers)
    subs.push_back({{"pid", s.pid},
                    {"alive", s.alive},
                    {"policy", shm::to_string(s.mode)},
                    {"queued", s.queued},
                    {"queue_depth", s.queue_depth},
                    {"held", s.held},
                    {"delivered", s.delivered},
                    {"dropped", s.dropped},
                    {"never_sleeps", s.never_sleeps},
                    {"wakeups", s.wakeups},
                    {"dashboard", s.pid == own_pid}});
  nlohmann::json out{{"channel", name},
                     {"schema", c.schema.name},
                     {"publisher_pid", c.publisher_pid},
                     {"publisher_alive", c.publisher_alive},
                     {"session", c.session},
                     {"sessions", c.sessions},
                     {"sequence", c.sequence},
                     {"rate_hz", rate.rate_hz},
                     {"mb_per_s", rate.rate_hz * static_cast<double>(c.chunk_size) / 1e6},
                     {"chunk_size", c.chunk_size},
                     {"chunks_used", c.chunks_used},
                     {"chunk_count", c.chunk_count},
                     {"subscribers", subs}};
  if (auto f = fields_.find(name); f != fields_.end())
    out["fields"] = f->second["fields"];
  return out;
}

nlohmann::json dashboard_overview::snapshot(int64_t mono_ns, int64_t now_ns, int own_pid) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& [name, n] : nodes_) {
    auto here = n.record.host == host_;
    nodes.push_back({{"name", name},
                     {"host", n.record.host.substr(0, 12)},
                     {"this_host", here},
                     {"pid", n.record.pid},
                     {"status", n.status},
                     {"restarts", n.restarts},
                     {"uptime_s", here && n.status == "up" ? uptime_of(n.record.pid) : -1.0},
                     {"since_s", static_cast<double>(now_ns - n.changed_ns) / 1e9}});
  }
  nlohmann::json services = nlohmann::json::array();
  for (const auto& r : services_) {
    nlohmann::json commands = nlohmann::json::array();
    if (auto props = parse_json(r.properties.text);
        props && props.value().is_object() && props.value().contains("commands"))
      commands = props.value()["commands"];
    nlohmann::json row{{"name", r.name}, {"node", r.node}, {"pid", r.pid}, {"commands", commands}};
    if (auto s = service_state_.find(r.name); s != service_state_.end())
      row["state"] = s->second;
    services.push_back(std::move(row));
  }
  nlohmann::json channels = nlohmann::json::array();
  for (const auto& name : shm::list_channels())
    channels.push_back(channel_json(name, mono_ns, own_pid));
  nlohmann::json out{{"type", "overview"},
                     {"wall_ns", now_ns},
                     {"nodes", nodes},
                     {"services", services},
                     {"channels", channels}};
  if (!registry_error_.empty())
    out["registry_error"] = registry_error_;
  return out;
}

} // namespace dxhub::actors::detail
