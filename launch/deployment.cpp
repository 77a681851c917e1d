#include "dxhub/launch/deployment.hpp"

#include "dxhub/schemas/name.hpp"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ifaddrs.h>
#include <initializer_list>
#include <netdb.h>
#include <sched.h>
#include <set>
#include <sstream>
#include <unistd.h>
#include <variant>

namespace dxhub::launch {

namespace {

using std::chrono::milliseconds;

int line_of(const toml::node& n) {
  return static_cast<int>(n.source().begin.line);
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// Errors name the file, the line and the field.
class reporter {
public:
  explicit reporter(std::string file) : file_(std::move(file)) {}

  error fail(int line, const std::string& field, const std::string& what) const {
    return error{errc::config_error,
                 file_ + ":" + std::to_string(line) + ": field '" + field + "': " + what};
  }

private:
  std::string file_;
};

// One TOML table being read: typed getters that name the field on error, and
// a check that rejects keys the format does not know (typos).
class table_reader {
public:
  table_reader(const reporter& rep, const toml::table& table, std::string path)
    : rep_(rep), table_(table), path_(std::move(path)) {}

  std::string field(std::string_view key) const {
    return path_.empty() ? std::string{key} : path_ + "." + std::string{key};
  }

  int line() const { return line_of(table_); }

  /// The line of `key`'s value, or of the table when the key is absent.
  int line(std::string_view key) const {
    auto* n = table_.get(key);
    return n != nullptr ? line_of(*n) : line();
  }

  error fail(std::string_view key, const std::string& what) const {
    return rep_.fail(line(key), field(key), what);
  }

  expected<void> only_keys(std::initializer_list<std::string_view> known) const {
    for (auto&& [key, value] : table_) {
      bool found = false;
      for (auto k : known)
        found = found || key.str() == k;
      if (found)
        continue;
      std::string list;
      for (auto k : known)
        list += (list.empty() ? "" : ", ") + std::string{k};
      return rep_.fail(static_cast<int>(key.source().begin.line), field(key.str()),
                       "unknown field; this table knows: " + list);
    }
    return ok();
  }

  expected<void> string(std::string_view key, std::string& out, bool required = false) const {
    auto* n = table_.get(key);
    if (n == nullptr)
      return required ? expected<void>{rep_.fail(line(), field(key), "missing (required)")}
                      : expected<void>{ok()};
    auto* s = n->as_string();
    if (s == nullptr)
      return fail(key, "expected a string, found " + type_name(*n));
    out = s->get();
    if (required && out.empty())
      return fail(key, "must not be empty");
    return ok();
  }

  expected<void> boolean(std::string_view key, bool& out) const {
    auto* n = table_.get(key);
    if (n == nullptr)
      return ok();
    auto* b = n->as_boolean();
    if (b == nullptr)
      return fail(key, "expected true or false, found " + type_name(*n));
    out = b->get();
    return ok();
  }

  expected<void> integer(std::string_view key, int64_t& out, int64_t min, int64_t max) const {
    auto* n = table_.get(key);
    if (n == nullptr)
      return ok();
    auto* i = n->as_integer();
    if (i == nullptr)
      return fail(key, "expected an integer, found " + type_name(*n));
    if (i->get() < min || i->get() > max)
      return fail(key, std::to_string(i->get()) + " is out of range [" + std::to_string(min) + ", "
                           + std::to_string(max) + "]");
    out = i->get();
    return ok();
  }

  expected<void> millis(std::string_view key, milliseconds& out, int64_t min, int64_t max) const {
    int64_t value = out.count();
    DXHUB_TRYV(integer(key, value, min, max));
    out = milliseconds{value};
    return ok();
  }

  // Seconds as an integer or a number ("within_s = 2.5").
  expected<void> seconds(std::string_view key, milliseconds& out) const {
    auto* n = table_.get(key);
    if (n == nullptr)
      return ok();
    double value = 0;
    if (auto* i = n->as_integer())
      value = static_cast<double>(i->get());
    else if (auto* f = n->as_floating_point())
      value = f->get();
    else
      return fail(key, "expected a number of seconds, found " + type_name(*n));
    if (!(value > 0) || value > 86400)
      return fail(key, "must be more than 0 and at most 86400 seconds");
    out = milliseconds{static_cast<int64_t>(std::llround(value * 1000))};
    return ok();
  }

  expected<void> strings(std::string_view key, std::vector<std::string>& out,
                         std::vector<int>* lines = nullptr) const {
    auto* n = table_.get(key);
    if (n == nullptr)
      return ok();
    auto* a = n->as_array();
    if (a == nullptr)
      return fail(key, "expected an array of strings, found " + type_name(*n));
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto* s = (*a)[i].as_string();
      if (s == nullptr)
        return rep_.fail(line_of((*a)[i]), field(key) + "[" + std::to_string(i) + "]",
                         "expected a string, found " + type_name((*a)[i]));
      out.push_back(s->get());
      if (lines != nullptr)
        lines->push_back(line_of((*a)[i]));
    }
    return ok();
  }

  expected<const toml::table*> table(std::string_view key) const {
    auto* n = table_.get(key);
    if (n == nullptr)
      return nullptr;
    auto* t = n->as_table();
    if (t == nullptr)
      return fail(key, "expected a table, found " + type_name(*n));
    return t;
  }

  expected<std::vector<const toml::table*>> tables(std::string_view key) const {
    std::vector<const toml::table*> out;
    auto* n = table_.get(key);
    if (n == nullptr)
      return out;
    auto* a = n->as_array();
    if (a == nullptr)
      return fail(key,
                  "expected an array of tables ([[" + field(key) + "]]), found " + type_name(*n));
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto* t = (*a)[i].as_table();
      if (t == nullptr)
        return rep_.fail(line_of((*a)[i]), field(key) + "[" + std::to_string(i) + "]",
                         "expected a table, found " + type_name((*a)[i]));
      out.push_back(t);
    }
    return out;
  }

  const reporter& rep() const { return rep_; }

private:
  const reporter& rep_;
  const toml::table& table_;
  std::string path_;
};

expected<void> check_name(const table_reader& r, std::string_view key, const std::string& value,
                          std::string_view what) {
  if (auto valid = validate_name(value, what); !valid)
    return r.fail(key, valid.error().context);
  return ok();
}

// A name that is also part of file names (shared memory): one path segment.
expected<void> check_simple_name(const table_reader& r, std::string_view key,
                                 const std::string& value, std::string_view what) {
  DXHUB_TRYV(check_name(r, key, value, what));
  if (value.find('/') != std::string::npos)
    return r.fail(key, std::string{what} + " name '" + value + "' must not contain '/'");
  return ok();
}

expected<void> check_endpoint(const table_reader& r, std::string_view key,
                              const std::string& value) {
  if (value.empty())
    return ok();
  for (auto scheme : {"tcp://", "ipc://", "inproc://"})
    if (value.rfind(scheme, 0) == 0 && value.size() > std::strlen(scheme))
      return ok();
  return r.fail(key, "endpoint '" + value + "' must start with tcp://, ipc:// or inproc://");
}

expected<void> read_limits(const table_reader& r, restart_limits& limits) {
  int64_t max_restarts = limits.max_restarts;
  DXHUB_TRYV(r.integer("max_restarts", max_restarts, 0, 1000));
  limits.max_restarts = static_cast<uint32_t>(max_restarts);
  DXHUB_TRYV(r.seconds("within_s", limits.within));
  DXHUB_TRYV(r.millis("backoff_ms", limits.backoff_base, 0, 3'600'000));
  DXHUB_TRYV(r.millis("backoff_max_ms", limits.backoff_max, 0, 3'600'000));
  if (limits.backoff_max < limits.backoff_base)
    return r.fail("backoff_max_ms", "must not be less than backoff_ms ("
                                        + std::to_string(limits.backoff_base.count()) + ")");
  return ok();
}

expected<void> read_kind(const table_reader& r, restart_kind& kind) {
  std::string text;
  DXHUB_TRYV(r.string("kind", text));
  if (text.empty())
    return ok();
  auto parsed = parse_restart_kind(text);
  if (!parsed)
    return r.fail("kind", parsed.error().context);
  kind = parsed.value();
  return ok();
}

expected<void> read_node_restart(const table_reader& r, node_restart& out) {
  DXHUB_TRYV(r.only_keys({"kind", "max_restarts", "within_s", "backoff_ms", "backoff_max_ms",
                          "heartbeat_timeout_ms", "start_timeout_ms"}));
  DXHUB_TRYV(read_kind(r, out.kind));
  DXHUB_TRYV(read_limits(r, out.limits));
  DXHUB_TRYV(r.millis("heartbeat_timeout_ms", out.heartbeat_timeout, 0, 3'600'000));
  DXHUB_TRYV(r.millis("start_timeout_ms", out.start_timeout, 1, 3'600'000));
  return ok();
}

expected<void> read_actor_restart(const table_reader& r, actor_restart& out) {
  DXHUB_TRYV(r.only_keys(
      {"kind", "max_restarts", "within_s", "backoff_ms", "backoff_max_ms", "watchdog_ms"}));
  DXHUB_TRYV(read_kind(r, out.kind));
  DXHUB_TRYV(read_limits(r, out.limits));
  DXHUB_TRYV(r.millis("watchdog_ms", out.watchdog, 0, 3'600'000));
  return ok();
}

// Reads the optional sub-table `key` of `r` with `read`.
template <class T, class F>
expected<void> read_sub(const table_reader& r, std::string_view key, T& out, F read) {
  DXHUB_TRY(sub, r.table(key));
  if (sub == nullptr)
    return ok();
  return read(table_reader{r.rep(), *sub, r.field(key)}, out);
}

expected<json_text> params_json(const toml::table& params) {
  std::ostringstream text;
  text << toml::json_formatter{params};
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded())
    return error{errc::config_error, "params do not convert to JSON"};
  return json_text{doc.dump()};
}

expected<actor_spec> read_actor(const table_reader& r) {
  DXHUB_TRYV(
      r.only_keys({"type", "name", "module", "params", "publishes", "subscribes", "restart"}));
  actor_spec a;
  a.line = r.line();
  DXHUB_TRYV(r.string("type", a.type, true));
  a.type_line = r.line("type");
  DXHUB_TRYV(r.string("name", a.name, true));
  DXHUB_TRYV(check_name(r, "name", a.name, "actor"));
  DXHUB_TRY(params, r.table("params"));
  if (params != nullptr) {
    auto converted = params_json(*params);
    if (!converted)
      return r.fail("params", converted.error().context);
    a.params = converted.value();
  }
  // `module = "pkg.mod:Class"` (Python actors) is short for params.module.
  std::string module;
  DXHUB_TRYV(r.string("module", module, false));
  if (!module.empty()) {
    auto doc = nlohmann::json::parse(a.params.text, nullptr, false);
    if (doc.is_object() && doc.contains("module") && doc["module"] != module)
      return r.fail("module", "differs from params.module ('" + doc["module"].dump() + "')");
    doc["module"] = module;
    a.params = json_text{doc.dump()};
  }
  DXHUB_TRYV(r.strings("publishes", a.publishes));
  DXHUB_TRYV(r.strings("subscribes", a.subscribes));
  DXHUB_TRYV(read_sub(r, "restart", a.restart, read_actor_restart));
  return a;
}

// `cpus = [1, 3]`: CPU numbers, at least one, each once. Whether the machine
// has them is checked where the node starts (check_node_cpus).
expected<void> read_cpus(const table_reader& r, const toml::table& table, node_spec& n) {
  auto* value = table.get("cpus");
  if (value == nullptr)
    return ok();
  n.cpus_line = line_of(*value);
  auto who = "node '" + n.name + "': ";
  auto* a = value->as_array();
  if (a == nullptr)
    return r.fail("cpus", who + "expected an array of CPU numbers (cpus = [1]), found "
                              + type_name(*value));
  if (a->empty())
    return r.fail("cpus", who
                              + "must name at least one CPU (leave cpus out to let the node run "
                                "on any)");
  for (std::size_t i = 0; i < a->size(); ++i) {
    auto field = r.field("cpus") + "[" + std::to_string(i) + "]";
    auto* cpu = (*a)[i].as_integer();
    if (cpu == nullptr)
      return r.rep().fail(line_of((*a)[i]), field,
                          who + "expected a CPU number, found " + type_name((*a)[i]));
    if (cpu->get() < 0 || cpu->get() >= CPU_SETSIZE)
      return r.rep().fail(line_of((*a)[i]), field,
                          who + "CPU " + std::to_string(cpu->get()) + " is out of range [0, "
                              + std::to_string(CPU_SETSIZE - 1) + "]");
    auto number = static_cast<int>(cpu->get());
    if (std::find(n.cpus.begin(), n.cpus.end(), number) != n.cpus.end())
      return r.rep().fail(line_of((*a)[i]), field,
                          who + "CPU " + std::to_string(number) + " is named twice");
    n.cpus.push_back(number);
  }
  return ok();
}

expected<node_spec> read_node(const table_reader& r, const toml::table& table,
                              const node_restart& defaults) {
  DXHUB_TRYV(r.only_keys({"name", "host", "program", "plugins", "args", "endpoint", "env", "cpus",
                          "restart", "actors"}));
  node_spec n;
  n.line = r.line();
  n.restart = defaults;
  DXHUB_TRYV(r.string("name", n.name, true));
  DXHUB_TRYV(check_simple_name(r, "name", n.name, "node"));
  DXHUB_TRYV(r.string("host", n.host));
  if (n.host.empty())
    return r.fail("host", "must not be empty");
  DXHUB_TRYV(r.string("program", n.program));
  DXHUB_TRYV(r.strings("plugins", n.plugins));
  DXHUB_TRYV(r.strings("args", n.args));
  DXHUB_TRYV(r.string("endpoint", n.endpoint));
  DXHUB_TRYV(check_endpoint(r, "endpoint", n.endpoint));
  DXHUB_TRY(env, r.table("env"));
  if (env != nullptr) {
    for (auto&& [key, value] : *env) {
      auto* s = value.as_string();
      if (s == nullptr)
        return r.rep().fail(line_of(value), r.field("env") + "." + std::string{key.str()},
                            "expected a string, found " + type_name(value));
      n.env[std::string{key.str()}] = s->get();
    }
  }
  DXHUB_TRYV(read_cpus(r, table, n));
  DXHUB_TRYV(read_sub(r, "restart", n.restart, read_node_restart));
  DXHUB_TRY(actors, r.tables("actors"));
  for (std::size_t i = 0; i < actors.size(); ++i) {
    table_reader ar{r.rep(), *actors[i], r.field("actors") + "[" + std::to_string(i) + "]"};
    DXHUB_TRY(a, read_actor(ar));
    n.actors.push_back(std::move(a));
  }
  return n;
}

expected<void> read_header(const table_reader& r, deployment& d) {
  DXHUB_TRY(header, r.table("deployment"));
  if (header == nullptr)
    return r.rep().fail(1, "deployment.name", "missing (required): add a [deployment] table");
  table_reader h{r.rep(), *header, "deployment"};
  DXHUB_TRYV(h.only_keys({"name", "description", "grace_ms"}));
  DXHUB_TRYV(h.string("name", d.name, true));
  DXHUB_TRYV(check_simple_name(h, "name", d.name, "deployment"));
  DXHUB_TRYV(h.string("description", d.description));
  DXHUB_TRYV(h.millis("grace_ms", d.grace, 1, 600'000));
  return ok();
}

expected<void> read_registry(const table_reader& r, registry_spec& reg) {
  DXHUB_TRYV(r.only_keys({"embedded", "node", "host", "endpoint"}));
  DXHUB_TRYV(r.boolean("embedded", reg.embedded));
  DXHUB_TRYV(r.string("node", reg.node));
  DXHUB_TRYV(r.string("host", reg.host));
  if (!reg.node.empty() && !reg.host.empty())
    return r.fail("host", "a registry on node '" + reg.node
                              + "' runs on that node's host: give node or host, not both");
  DXHUB_TRYV(r.string("endpoint", reg.endpoint));
  DXHUB_TRYV(check_endpoint(r, "endpoint", reg.endpoint));
  if (!reg.node.empty() && reg.embedded)
    return r.fail("node", "a registry placed on a node needs embedded = false");
  if (reg.node.empty() && !reg.embedded)
    return r.fail("embedded", "embedded = false needs node = \"<node name>\"");
  return ok();
}

// An IP address (v4 or v6) or a host name: no scheme, port or path.
bool plausible_address(const std::string& a) {
  if (a.empty() || a.size() > 253)
    return false;
  for (char c : a)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':'
          || c == '_' || c == '%'))
      return false;
  return a.front() != '-' && a.front() != '.';
}

expected<host_spec> read_host(const table_reader& r) {
  DXHUB_TRYV(r.only_keys({"name", "address"}));
  host_spec h;
  h.line = r.line();
  DXHUB_TRYV(r.string("name", h.name, true));
  DXHUB_TRYV(check_simple_name(r, "name", h.name, "host"));
  DXHUB_TRYV(r.string("address", h.address, true));
  if (!plausible_address(h.address))
    return r.fail("address", "'" + h.address
                                 + "' is not an IP address or host name (no scheme, port or path)");
  return h;
}

// A key file named in [security]: relative to key_dir unless absolute.
std::string key_path(const std::string& key_dir, const std::string& file) {
  auto p = std::filesystem::path{file};
  return (p.is_absolute() ? p : std::filesystem::path{key_dir} / p).lexically_normal().string();
}

expected<void> read_security(const table_reader& r, security_spec& sec, const std::string& file) {
  DXHUB_TRYV(r.only_keys({"key_dir", "allow", "registry_key", "keys"}));
  sec.enabled = true;
  std::string dir;
  DXHUB_TRYV(r.string("key_dir", dir, true));
  auto base = std::filesystem::absolute(std::filesystem::path{file}).parent_path();
  auto p = std::filesystem::path{dir};
  sec.key_dir = (p.is_absolute() ? p : base / p).lexically_normal().string();
  std::string allow = "allowed.keys";
  DXHUB_TRYV(r.string("allow", allow));
  if (allow.empty())
    return r.fail("allow", "must not be empty (leave it out for allowed.keys)");
  sec.allow_file = key_path(sec.key_dir, allow);
  std::string registry = "registry.key";
  DXHUB_TRYV(r.string("registry_key", registry));
  if (registry.empty())
    return r.fail("registry_key", "must not be empty (leave it out for registry.key)");
  sec.registry_key = key_path(sec.key_dir, registry);
  DXHUB_TRY(keys, r.table("keys"));
  if (keys != nullptr) {
    for (auto&& [node, value] : *keys) {
      auto* s = value.as_string();
      auto field = r.field("keys") + "." + std::string{node.str()};
      if (s == nullptr)
        return r.rep().fail(line_of(value), field, "expected a string, found " + type_name(value));
      if (s->get().empty())
        return r.rep().fail(line_of(value), field, "must not be empty");
      sec.node_keys[std::string{node.str()}] = key_path(sec.key_dir, s->get());
    }
  }
  return ok();
}

expected<channel_spec> read_channel(const table_reader& r) {
  DXHUB_TRYV(r.only_keys({"name", "schema"}));
  channel_spec c;
  c.line = r.line();
  DXHUB_TRYV(r.string("name", c.name, true));
  DXHUB_TRYV(check_name(r, "name", c.name, "channel"));
  DXHUB_TRYV(r.string("schema", c.schema));
  return c;
}

// The line of a field found by cross-checks: `path` walks tables by key and
// arrays by index; the deepest node that exists gives the line.
int line_at(const toml::table& root,
            std::initializer_list<std::variant<std::string_view, std::size_t>> path) {
  toml::node_view<const toml::node> at{root};
  int line = 1;
  for (auto& step : path) {
    if (auto* key = std::get_if<std::string_view>(&step))
      at = at[*key];
    else
      at = at[std::get<std::size_t>(step)];
    if (!at)
      break;
    line = line_of(*at.node());
  }
  return line;
}

// Cross-references: unique names, known channels, known types, known nodes.
expected<void> cross_check(const reporter& rep, const toml::table& root, const deployment& d,
                           const deployment_checks& checks) {
  std::map<std::string, std::string> nodes, actors, channels;
  for (std::size_t i = 0; i < d.channels.size(); ++i) {
    auto& c = d.channels[i];
    auto where = "channels[" + std::to_string(i) + "]";
    if (!channels.emplace(c.name, where).second)
      return rep.fail(line_at(root, {"channels", i, "name"}), where + ".name",
                      "duplicate channel '" + c.name + "' (also " + channels[c.name] + ")");
  }
  std::map<std::string, std::string> publishers;
  for (std::size_t i = 0; i < d.nodes.size(); ++i) {
    auto& n = d.nodes[i];
    auto where = "nodes[" + std::to_string(i) + "]";
    if (!nodes.emplace(n.name, where).second)
      return rep.fail(line_at(root, {"nodes", i, "name"}), where + ".name",
                      "duplicate node name '" + n.name + "' (also " + nodes[n.name] + ")");
    for (std::size_t j = 0; j < n.actors.size(); ++j) {
      auto& a = n.actors[j];
      auto at = where + ".actors[" + std::to_string(j) + "]";
      if (!actors.emplace(a.name, at).second)
        return rep.fail(line_at(root, {"nodes", i, "actors", j, "name"}), at + ".name",
                        "duplicate actor name '" + a.name + "' (also " + actors[a.name] + ")");
      if (checks.known_actor_type && (checks.only_node.empty() || checks.only_node == n.name)
          && !checks.known_actor_type(a.type))
        return rep.fail(line_at(root, {"nodes", i, "actors", j, "type"}), at + ".type",
                        "unknown actor type '" + a.type + "'");
      for (std::size_t k = 0; k < a.publishes.size(); ++k) {
        auto& ch = a.publishes[k];
        if (auto valid = validate_name(ch, "channel"); !valid)
          return rep.fail(line_at(root, {"nodes", i, "actors", j, "publishes", k}),
                          at + ".publishes[" + std::to_string(k) + "]", valid.error().context);
        if (!publishers.emplace(ch, at).second)
          return rep.fail(line_at(root, {"nodes", i, "actors", j, "publishes", k}),
                          at + ".publishes[" + std::to_string(k) + "]",
                          "channel '" + ch + "' is already published by " + publishers[ch]);
      }
    }
  }
  for (std::size_t i = 0; i < d.nodes.size(); ++i)
    for (std::size_t j = 0; j < d.nodes[i].actors.size(); ++j) {
      auto& a = d.nodes[i].actors[j];
      for (std::size_t k = 0; k < a.subscribes.size(); ++k) {
        auto& ch = a.subscribes[k];
        if (channels.count(ch) == 0 && publishers.count(ch) == 0)
          return rep.fail(line_at(root, {"nodes", i, "actors", j, "subscribes", k}),
                          "nodes[" + std::to_string(i) + "].actors[" + std::to_string(j)
                              + "].subscribes[" + std::to_string(k) + "]",
                          "unknown channel '" + ch
                              + "': no actor publishes it and no [[channels]] entry declares it");
      }
    }
  if (!d.registry.node.empty() && nodes.count(d.registry.node) == 0) {
    return rep.fail(line_at(root, {"registry", "node"}), "registry.node",
                    "unknown node '" + d.registry.node + "'");
  }
  for (const auto& [node, file] : d.security.node_keys)
    if (nodes.count(node) == 0)
      return rep.fail(line_at(root, {"security", "keys", std::string_view{node}}),
                      "security.keys." + node, "unknown node '" + node + "'");
  return ok();
}

std::string listed_hosts(const deployment& d) {
  std::string list;
  for (const auto& h : d.hosts)
    list += (list.empty() ? "" : ", ") + h.name;
  return list;
}

std::string tcp_endpoint(const std::string& address, const std::string& port) {
  bool v6 = address.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + address + "]" : address) + ":" + port;
}

// [[hosts]]: names and addresses unique, every node and the registry on a
// listed host; endpoints default to tcp on the host's address.
expected<void> check_hosts(const reporter& rep, const toml::table& root, deployment& d) {
  if (d.hosts.empty()) {
    if (!d.registry.host.empty())
      return rep.fail(line_at(root, {"registry", "host"}), "registry.host",
                      "names host '" + d.registry.host
                          + "' but the file lists no [[hosts]]: add them, or leave host out");
    return ok();
  }
  std::map<std::string, std::string> names, addresses;
  for (std::size_t i = 0; i < d.hosts.size(); ++i) {
    auto& h = d.hosts[i];
    auto where = "hosts[" + std::to_string(i) + "]";
    if (!names.emplace(h.name, where).second)
      return rep.fail(line_at(root, {"hosts", i, "name"}), where + ".name",
                      "duplicate host name '" + h.name + "' (also " + names[h.name] + ")");
    if (!addresses.emplace(h.address, where).second)
      return rep.fail(line_at(root, {"hosts", i, "address"}), where + ".address",
                      "duplicate address '" + h.address + "' (also " + addresses[h.address] + ")");
  }
  for (std::size_t i = 0; i < d.nodes.size(); ++i) {
    auto& n = d.nodes[i];
    auto where = "nodes[" + std::to_string(i) + "].host";
    if (names.count(n.host) == 0)
      return rep.fail(
          line_at(root, {"nodes", i, "host"}), where,
          (root["nodes"][i]["host"] ? "unknown host '" + n.host + "'" : std::string{"missing"})
              + ": with [[hosts]], every node names one of them (" + listed_hosts(d) + ")");
    if (n.endpoint.empty())
      n.endpoint = tcp_endpoint(d.find_host(n.host)->address, "0");
  }
  auto& reg = d.registry;
  if (!reg.node.empty()) {
    reg.host = d.find_node(reg.node)->host;
  } else if (reg.host.empty()) {
    return rep.fail(line_at(root, {"registry"}), "registry.host",
                    "missing: with [[hosts]], say which host's `dxhub run` embeds the registry "
                    "(host = \"...\", one of "
                        + listed_hosts(d) + "), or place it on a node (node = \"...\")");
  } else if (names.count(reg.host) == 0) {
    return rep.fail(line_at(root, {"registry", "host"}), "registry.host",
                    "unknown host '" + reg.host + "' (the file lists " + listed_hosts(d) + ")");
  }
  if (reg.endpoint.empty())
    reg.endpoint = tcp_endpoint(d.find_host(reg.host)->address, "5750");
  return ok();
}

// [security]: every node's key file (default <key_dir>/<node>.key).
void fill_keys(deployment& d) {
  if (!d.security.enabled)
    return;
  for (const auto& n : d.nodes)
    d.security.node_keys.try_emplace(n.name, key_path(d.security.key_dir, n.name + ".key"));
}

// 64-bit FNV-1a: a digest that tells versions of a text apart (not a secret).
uint64_t fnv1a(std::string_view text, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex_digest(std::string_view text) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(fnv1a(text, 14695981039346656037ull)),
                static_cast<unsigned long long>(fnv1a(text, 0x9e3779b97f4a7c15ull)));
  return buf;
}

expected<deployment> read_deployment(const toml::table& root, const std::string& file,
                                     const deployment_checks& checks) {
  reporter rep{file};
  table_reader r{rep, root, ""};
  DXHUB_TRYV(
      r.only_keys({"deployment", "registry", "hosts", "security", "restart", "channels", "nodes"}));
  deployment d;
  d.file = file;
  DXHUB_TRYV(read_header(r, d));
  DXHUB_TRYV(read_sub(r, "registry", d.registry, read_registry));
  DXHUB_TRYV(read_sub(r, "restart", d.restart, read_node_restart));
  DXHUB_TRY(hosts, r.tables("hosts"));
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    DXHUB_TRY(h, read_host({rep, *hosts[i], "hosts[" + std::to_string(i) + "]"}));
    d.hosts.push_back(std::move(h));
  }
  DXHUB_TRY(security, r.table("security"));
  if (security != nullptr)
    DXHUB_TRYV(read_security({rep, *security, "security"}, d.security, file));
  DXHUB_TRY(channels, r.tables("channels"));
  for (std::size_t i = 0; i < channels.size(); ++i) {
    DXHUB_TRY(c, read_channel({rep, *channels[i], "channels[" + std::to_string(i) + "]"}));
    d.channels.push_back(std::move(c));
  }
  DXHUB_TRY(nodes, r.tables("nodes"));
  if (nodes.empty())
    return rep.fail(1, "nodes", "missing (required): add at least one [[nodes]] table");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    DXHUB_TRY(
        n, read_node({rep, *nodes[i], "nodes[" + std::to_string(i) + "]"}, *nodes[i], d.restart));
    // Plugins are named relative to the file, wherever the node runs.
    auto dir = std::filesystem::absolute(std::filesystem::path{file}).parent_path();
    for (auto& plugin : n.plugins)
      if (std::filesystem::path{plugin}.is_relative())
        plugin = (dir / plugin).lexically_normal().string();
    d.nodes.push_back(std::move(n));
  }
  DXHUB_TRYV(cross_check(rep, root, d, checks));
  DXHUB_TRYV(check_hosts(rep, root, d));
  fill_keys(d);
  return d;
}

} // namespace

const node_spec* deployment::find_node(std::string_view node_name) const noexcept {
  for (auto& n : nodes)
    if (n.name == node_name)
      return &n;
  return nullptr;
}

const host_spec* deployment::find_host(std::string_view host_name) const noexcept {
  for (auto& h : hosts)
    if (h.name == host_name)
      return &h;
  return nullptr;
}

std::string deployment::registry_secret_key() const {
  if (!security.enabled)
    return {};
  if (!registry.node.empty()) {
    auto it = security.node_keys.find(registry.node);
    return it != security.node_keys.end() ? it->second : std::string{};
  }
  return security.registry_key;
}

std::vector<std::string> addresses_of(const std::string& address) {
  std::vector<std::string> out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(address.c_str(), nullptr, &hints, &found) != 0)
    return out;
  for (auto* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family == AF_INET || a->ai_family == AF_INET6)
        && ::inet_ntop(a->ai_family, raw, text, sizeof text) != nullptr
        && std::find(out.begin(), out.end(), text) == out.end())
      out.emplace_back(text);
  }
  ::freeaddrinfo(found);
  return out;
}

std::vector<std::string> machine_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return out;
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr
        || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
      continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        i->ifa_addr->sa_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr)
            : static_cast<const void*>(
                &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    if (::inet_ntop(i->ifa_addr->sa_family, raw, text, sizeof text) != nullptr
        && std::find(out.begin(), out.end(), text) == out.end())
      out.emplace_back(text);
  }
  ::freeifaddrs(list);
  return out;
}

expected<void> check_node_cpus(const deployment& d, const node_spec& node, int cpu_count) {
  std::size_t index = 0;
  while (index < d.nodes.size() && &d.nodes[index] != &node)
    ++index;
  for (std::size_t i = 0; i < node.cpus.size(); ++i) {
    if (node.cpus[i] < cpu_count)
      continue;
    return error{errc::config_error,
                 d.file + ":" + std::to_string(node.cpus_line) + ": field 'nodes["
                     + std::to_string(index) + "].cpus[" + std::to_string(i) + "]': node '"
                     + node.name + "': CPU " + std::to_string(node.cpus[i])
                     + " does not exist on this machine (it has "
                     + (cpu_count == 1 ? std::string{"1 CPU, number 0"}
                                       : std::to_string(cpu_count) + " CPUs, numbered 0 to "
                                             + std::to_string(cpu_count - 1))
                     + ")"};
  }
  return ok();
}

int machine_cpu_count() {
  auto n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

expected<std::string> select_host(const deployment& d, const std::string& requested,
                                  const std::vector<std::string>& local_addresses) {
  std::string list;
  for (const auto& h : d.hosts)
    list += (list.empty() ? "" : ", ") + h.name + " (" + h.address + ")";
  if (d.hosts.empty()) {
    if (!requested.empty())
      return error{errc::config_error,
                   d.file + ": --host " + requested + " but the file lists no [[hosts]]"};
    return std::string{};
  }
  if (!requested.empty()) {
    if (d.find_host(requested) == nullptr)
      return error{errc::config_error,
                   d.file + ": --host " + requested + ": no such host; the file lists " + list};
    return requested;
  }
  std::vector<std::string> matches;
  for (const auto& h : d.hosts)
    for (const auto& a : addresses_of(h.address))
      if (std::find(local_addresses.begin(), local_addresses.end(), a) != local_addresses.end()) {
        matches.push_back(h.name);
        break;
      }
  std::string mine;
  for (const auto& a : local_addresses)
    mine += (mine.empty() ? "" : ", ") + a;
  if (matches.empty())
    return error{errc::config_error, d.file
                                         + ": no host of the file has an address of this "
                                           "machine (it has "
                                         + mine + "; the file lists " + list
                                         + "): say which with --host NAME"};
  if (matches.size() > 1) {
    std::string names;
    for (const auto& m : matches)
      names += (names.empty() ? "" : ", ") + m;
    return error{errc::config_error, d.file
                                         + ": several hosts of the file have an address of "
                                           "this machine ("
                                         + names + "): say which with --host NAME"};
  }
  return matches.front();
}

std::string bindable_endpoint(const std::string& endpoint) {
  const std::string scheme = "tcp://";
  auto colon = endpoint.rfind(':');
  if (endpoint.rfind(scheme, 0) != 0 || colon == std::string::npos || colon < scheme.size())
    return endpoint;
  auto host = endpoint.substr(scheme.size(), colon - scheme.size());
  in6_addr raw{};
  if (host.empty() || host == "*" || host.front() == '['
      || ::inet_pton(AF_INET, host.c_str(), &raw) == 1
      || ::inet_pton(AF_INET6, host.c_str(), &raw) == 1)
    return endpoint;
  auto found = addresses_of(host);
  if (found.empty())
    return endpoint; // ZeroMQ then names what it cannot bind
  auto v4 = std::find_if(found.begin(), found.end(),
                         [](const std::string& a) { return a.find(':') == std::string::npos; });
  auto address = v4 != found.end() ? *v4 : "[" + found.front() + "]";
  return scheme + address + endpoint.substr(colon);
}

std::string shared_run_token(const deployment& d) {
  return hex_digest("dxhub run token\n" + d.name + "\n" + d.text_digest);
}

expected<deployment> parse_deployment(std::string_view text, const std::string& file,
                                      const deployment_checks& checks) {
  try {
    auto root = toml::parse(text, file);
    auto d = read_deployment(root, file, checks);
    if (d)
      d.value().text_digest = hex_digest(text);
    return d;
  } catch (const toml::parse_error& e) {
    auto& where = e.source().begin;
    return error{errc::config_error, file + ":" + std::to_string(where.line) + ":"
                                         + std::to_string(where.column)
                                         + ": TOML syntax error: " + std::string{e.description()}};
  }
}

expected<deployment> load_deployment(const std::string& path, const deployment_checks& checks) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return error{errc::config_error,
                 path + ": cannot read the deployment file: " + std::string{std::strerror(errno)}};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_deployment(text.str(), path, checks);
}

} // namespace dxhub::launch
