#include "dxhub/actors/registry.hpp"

#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/name.hpp"

#include <caf/all.hpp>

#include <map>

namespace dxhub::actors {

namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

struct entry {
  registry_record record;
  clock::time_point expires;
};

struct registry_state {
  std::map<std::string, entry> entries; // by "kind:name"
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

expected<nlohmann::json> add(registry_actor* self, const registry_record& r) {
  DXHUB_TRYV(validate_name(r.name, to_string(r.kind)));
  if (r.lease_ms <= 0)
    return error{errc::invalid_argument, "lease of '" + r.name + "' must be positive"};
  auto& slot = self->state.entries[key_of(r)];
  bool fresh = slot.record.name.empty() || !(slot.record == r);
  slot = entry{r, clock::now() + std::chrono::milliseconds{r.lease_ms}};
  if (fresh)
    announce(self, r, "appeared");
  return nlohmann::json(nullptr);
}

expected<nlohmann::json> remove(registry_actor* self, const registry_record& r) {
  auto it = self->state.entries.find(key_of(r));
  if (it != self->state.entries.end() && it->second.record.node == r.node) {
    announce(self, it->second.record, "disappeared");
    self->state.entries.erase(it);
  }
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
      [=](const command& c) { return handler(c); },
      [=](sweep_atom) {
        sweep(self);
        self->delayed_send(self, options.sweep, sweep_atom::value);
      },
  };
}

} // namespace

caf::actor spawn_registry(caf::actor_system& sys, registry_options options) {
  return sys.spawn(registry, options);
}

} // namespace dxhub::actors
