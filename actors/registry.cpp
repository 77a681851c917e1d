#include "dxhub/actors/registry.hpp"

#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/name.hpp"

#include <caf/all.hpp>

#include <cerrno>
#include <map>
#include <set>
#include <signal.h>

namespace dxhub::actors {

namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

struct entry {
  registry_record record;
  clock::time_point expires;
  /// The owner key the record was registered with ("" from a client that
  /// sent none: then node, host and pid stand for the owner).
  std::string owner_key;
  /// The CURVE public key of the connection that registered it ("" without
  /// CURVE): only requests over a connection with that key may touch it.
  std::string curve_key;
};

struct registry_state {
  std::map<std::string, entry> entries; // by "kind:name"
  registry_options options;
  /// The host id of the registry's own node: owners there can be checked.
  std::string host;
  /// "node|host|pid|code" of the refusals reported so far.
  std::set<std::string> reported;
  /// The CURVE key of the command being handled (command::peer_key).
  std::string peer;
  static inline const char* name = "dxhub.registry";
};

using registry_actor = caf::stateful_actor<registry_state>;
using sweep_atom = caf::atom_constant<caf::atom("dx_sweep")>;

std::string key_of(const registry_record& r) {
  return to_string(r.kind) + ":" + r.name;
}

void announce(registry_actor* self, const registry_record& r, const std::string& what) {
  (void)runtime::emit(self, "dxhub/registry/" + to_string(r.kind) + "/" + r.name, what,
                      json_text{encode_json(r)});
}

std::string owner_of(const registry_record& r) {
  return "node '" + r.node + "' (pid " + std::to_string(r.pid) + " on host " + r.host + ")";
}

/// Whether `r`, sent with `key`, comes from the owner of `e`. A key proves
/// it; node, host and pid are only what a request says, so they count only
/// for a record registered without a key.
bool owned_by(const entry& e, const registry_record& r, const std::string& key) {
  if (!e.owner_key.empty())
    return key == e.owner_key;
  return e.record.node == r.node && e.record.host == r.host && e.record.pid == r.pid;
}

/// How a CURVE key is named in errors: its first 8 characters (public keys
/// are not secret, but 8 suffice to tell them apart).
std::string short_key(const std::string& key) {
  return key.empty() ? std::string{"no CURVE key"} : "CURVE key " + key.substr(0, 8) + "...";
}

/// Whether a request over a connection with CURVE key `peer` may touch `e`:
/// a record registered over CURVE is bound to that key.
bool same_connection_key(const entry& e, const std::string& peer) {
  return e.curve_key.empty() || e.curve_key == peer;
}

/// Why a request over `peer` may not touch `e`, for the error ("" if it may).
std::string key_mismatch(const entry& e, const std::string& peer) {
  if (same_connection_key(e, peer))
    return {};
  return " (its owner connected with " + short_key(e.curve_key) + ", this request with "
         + short_key(peer) + ")";
}

/// False only when the owner is certainly gone: a process of this host that
/// no longer exists. Owners on other hosts live until their lease ends.
bool owner_alive(registry_actor* self, const registry_record& r) {
  if (r.host != self->state.host || r.pid == 0)
    return true;
  return ::kill(static_cast<pid_t>(r.pid), 0) == 0 || errno != ESRCH;
}

/// Takes a secret (run token, owner key) out of the record's properties: it
/// stays between the node and the registry. "" when there is none.
std::string take_secret(registry_record& r, const char* property) {
  auto props = nlohmann::json::parse(r.properties.text, nullptr, false);
  if (!props.is_object() || !props.contains(property))
    return {};
  auto token = props[property];
  props.erase(property);
  r.properties.text = props.dump();
  return token.is_string() ? token.get<std::string>() : std::string{};
}

/// The refusal of `r` as an error value, reported (callback and event) the
/// first time this process is refused for this reason.
error refuse(registry_actor* self, const registry_record& r, error why) {
  auto& st = self->state;
  auto key =
      r.node + "|" + r.host + "|" + std::to_string(r.pid) + "|" + std::string{name(why.code)};
  if (st.reported.size() > 4096)
    st.reported.clear();
  if (st.reported.insert(key).second) {
    if (st.options.on_refused)
      st.options.on_refused(r, why);
    nlohmann::json data{{"kind", to_string(r.kind)},
                        {"name", r.name},
                        {"node", r.node},
                        {"host", r.host},
                        {"pid", r.pid},
                        {"code", name(why.code)},
                        {"error", why.what()}};
    (void)runtime::emit(self, "dxhub/registry/" + to_string(r.kind) + "/" + r.name, "refused",
                        json_text{data.dump()});
  }
  return why;
}

expected<nlohmann::json> add(registry_actor* self, registry_record r) {
  DXHUB_TRYV(validate_name(r.name, to_string(r.kind)));
  if (r.lease_ms <= 0)
    return error{errc::invalid_argument, "lease of '" + r.name + "' must be positive"};
  auto& st = self->state;
  auto token = take_secret(r, runtime::run_token_property);
  auto key = take_secret(r, runtime::owner_key_property);
  if (!st.options.run_token.empty() && token != st.options.run_token)
    return refuse(self, r,
                  {errc::unauthenticated,
                   owner_of(r) + " is not a node of this run ("
                       + (token.empty() ? "it has no run token" : "its run token differs")
                       + "): started by hand or by another `dxhub run`? " + to_string(r.kind) + " '"
                       + r.name + "' not registered"});
  auto now = clock::now();
  auto it = st.entries.find(key_of(r));
  if (it != st.entries.end() && it->second.expires >= now && owner_alive(self, it->second.record)) {
    auto held = to_string(r.kind) + " '" + r.name + "' is registered by "
                + owner_of(it->second.record) + ", whose lease is alive; refused to " + owner_of(r);
    if (!owned_by(it->second, r, key))
      return refuse(self, r,
                    {errc::already_exists, held + " (the request does not carry the owner's key)"});
    if (auto why = key_mismatch(it->second, st.peer); !why.empty())
      return refuse(self, r, {errc::already_exists, held + why});
  }
  auto& slot = st.entries[key_of(r)];
  bool fresh = slot.record.name.empty() || !(slot.record == r);
  slot = entry{r, now + std::chrono::milliseconds{r.lease_ms}, key, st.peer};
  if (fresh)
    announce(self, r, "appeared");
  return nlohmann::json(nullptr);
}

expected<nlohmann::json> remove(registry_actor* self, registry_record r) {
  auto key = take_secret(r, runtime::owner_key_property);
  auto it = self->state.entries.find(key_of(r));
  if (it == self->state.entries.end())
    return nlohmann::json(nullptr); // gone already: removing twice is not an error
  // Refused, not reported: a node that lost a name to its live owner (a
  // second node of one name) unregisters it on its way out, harmlessly.
  if (!owned_by(it->second, r, key))
    return error{errc::permission_denied,
                 "unregister of " + to_string(r.kind) + " '" + r.name + "' refused: it is "
                     + "registered by " + owner_of(it->second.record)
                     + ", and the request does not carry that node's owner key"};
  if (auto why = key_mismatch(it->second, self->state.peer); !why.empty())
    return error{errc::permission_denied, "unregister of " + to_string(r.kind) + " '" + r.name
                                              + "' refused: it is registered by "
                                              + owner_of(it->second.record) + why};
  announce(self, it->second.record, "disappeared");
  self->state.entries.erase(it);
  return nlohmann::json(nullptr);
}

expected<registry_record> find(registry_actor* self, const std::string& name) {
  for (auto kind : {entry_kind::service, entry_kind::channel, entry_kind::node}) {
    registry_record probe;
    probe.kind = kind;
    probe.name = name;
    if (auto it = self->state.entries.find(key_of(probe)); it != self->state.entries.end())
      return it->second.record;
  }
  auto code = errc::unknown_service;
  return error{code, "the registry knows no '" + name + "' ("
                         + std::to_string(self->state.entries.size()) + " entries)"};
}

runtime::registry_records list(registry_actor* self, const std::string& prefix) {
  runtime::registry_records out;
  for (const auto& [key, e] : self->state.entries)
    if (prefix.empty() || name_has_prefix(e.record.name, prefix))
      out.records.push_back(e.record);
  return out;
}

void sweep(registry_actor* self) {
  auto now = clock::now();
  for (auto it = self->state.entries.begin(); it != self->state.entries.end();) {
    if (it->second.expires < now) {
      announce(self, it->second.record, "expired");
      it = self->state.entries.erase(it);
    } else {
      ++it;
    }
  }
}

caf::behavior registry(registry_actor* self, registry_options options) {
  self->state.options = std::move(options);
  if (auto* n = runtime::node::of(self->home_system()))
    self->state.host = n->host_id();
  runtime::command_table cmds;
  cmds.on<registry_record>("register", [=](const registry_record& r) { return add(self, r); });
  cmds.on<registry_record>("unregister", [=](const registry_record& r) { return remove(self, r); });
  cmds.on<runtime::registry_query>(
      "lookup", [=](const runtime::registry_query& q) { return find(self, q.name); });
  cmds.on<runtime::registry_query>(
      "list", [=](const runtime::registry_query& q) { return list(self, q.name); });
  if (auto served = runtime::serve(self, runtime::registry_service, cmds); !served) {
    self->quit(make_error(served.error().code, served.error().context));
    return {};
  }
  self->send(self, sweep_atom::value);
  auto handler = cmds.handler();
  return {
      [=](const command& c) {
        // The handlers run now, on this thread: they read the caller's key here.
        self->state.peer = c.peer_key;
        auto answer = handler(c);
        self->state.peer.clear();
        return answer;
      },
      [=](sweep_atom) {
        sweep(self);
        self->delayed_send(self, self->state.options.sweep, sweep_atom::value);
      },
  };
}

} // namespace

caf::actor spawn_registry(caf::actor_system& sys, registry_options options) {
  return sys.spawn(registry, options);
}

} // namespace dxhub::actors
