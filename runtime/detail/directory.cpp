#include "dxhub/runtime/detail/directory.hpp"

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/quiet.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/found_service.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <unistd.h>

namespace dxhub::runtime::detail {

namespace {

caf::result<service> local_lookup(node_parts* owner, const std::string& name,
                                  const std::optional<schema_id>& want) {
  auto found = owner->services->find(name);
  if (!found) {
    std::string known;
    for (const auto& r : owner->services->records())
      known += (known.empty() ? "" : ", ") + r.name;
    return make_error(errc::unknown_service, "no service '" + name + "' (known here: "
                                                 + (known.empty() ? "none" : known) + ")");
  }
  if (want)
    if (auto same =
            require_same_schema(found->record.schema, *want, "service '" + name + "'", "caller");
        !same)
      return to_caf_error(same.error());
  return service{name, found->handle, found->record, transport::in_process};
}

} // namespace

namespace {

using directory_actor = caf::stateful_actor<directory_state>;
using namespace std::chrono_literals;

std::string key_of(const registry_record& r) {
  return to_string(r.kind) + ":" + r.name;
}

void register_record(directory_actor* self, node_parts* owner, const registry_record& rec,
                     int attempt = 0) {
  auto* net = owner->net;
  if (net == nullptr || !net->registry().configured() || self->state.outsider)
    return;
  const auto& timing = owner->options.timing;
  auto retry = [me = caf::actor_cast<caf::actor>(self), key = key_of(rec), attempt,
                retries = timing.registry_early_retries,
                delay = timing.registry_early_retry](expected<reply> r) {
    auto code = r ? r.value().code : r.error().code;
    if (code == errc::unknown_service && attempt < retries)
      caf::delayed_anon_send(me, delay, retry_atom::value, key, attempt + 1);
    else if (r && (code == errc::unauthenticated || code == errc::already_exists))
      caf::anon_send(me, refused_atom::value, key, static_cast<uint8_t>(code),
                     r.value().error_context);
  };
  net->registry().call("register", encode_json(rec), default_call_timeout, std::move(retry));
}

void renew_all(directory_actor* self, node_parts* owner) {
  for (const auto& [key, rec] : self->state.registered)
    register_record(self, owner, rec);
  auto lease = owner->options.lease;
  self->delayed_send(
      self, std::max<std::chrono::milliseconds>(lease / 3, owner->options.timing.min_renewal),
      tick_atom::value);
}

void add(directory_actor* self, node_parts* owner, registry_record rec) {
  if (auto* net = owner->net) {
    rec.endpoints = {net->endpoint(), net->frames().endpoint()};
    auto key = net->public_key();
    const auto& token = owner->options.run_token;
    auto props = nlohmann::json::parse(rec.properties.text, nullptr, false);
    if (!props.is_object())
      props = nlohmann::json::object();
    if (!key.empty()) // peers need it to reach us with CURVE
      props["curve_public"] = key;
    if (!token.empty()) // the registry of our run checks it (and keeps it to itself)
      props[std::string{run_token_property}] = token;
    props[std::string{owner_key_property}] = self->state.owner_key; // kept to itself too
    rec.properties.text = props.dump();
  }
  register_record(self, owner, rec);
  self->state.registered[key_of(rec)] = std::move(rec);
}

void remove(directory_actor* self, node_parts* owner, entry_kind kind, const std::string& name) {
  registry_record probe;
  probe.kind = kind;
  probe.name = name;
  auto it = self->state.registered.find(key_of(probe));
  if (it == self->state.registered.end())
    return;
  if (auto* net = owner->net;
      net != nullptr && net->registry().configured() && !self->state.outsider)
    net->registry().call("unregister", encode_json(it->second), default_call_timeout,
                         [](expected<reply>) {});
  self->state.registered.erase(it);
}

/// Asks the registry for a service no actor of this process serves.
caf::result<service> remote_lookup(directory_actor* self, node_parts* owner,
                                   const std::string& name, const std::optional<schema_id>& want,
                                   caf::error local) {
  auto* net = owner->net;
  if (net == nullptr || !net->registry().configured())
    return local;
  auto promise = self->make_response_promise<service>();
  net->registry().call(
      "lookup", encode_json(registry_query{name}), default_call_timeout,
      [promise, name, want](expected<reply> r) mutable {
        if (!r) {
          promise.deliver(to_caf_error(r.error()));
          return;
        }
        if (!r.value().ok()) {
          promise.deliver(make_error(r.value().code, r.value().error_context));
          return;
        }
        auto rec = decode_json<registry_record>(r.value().result.text);
        if (!rec) {
          promise.deliver(to_caf_error(rec.error()));
          return;
        }
        if (want)
          if (auto same = require_same_schema(rec.value().schema, *want, "service '" + name + "'",
                                              "caller");
              !same) {
            promise.deliver(to_caf_error(same.error()));
            return;
          }
        promise.deliver(service{name, caf::actor{}, std::move(rec).value(), transport::zmq});
      });
  return promise;
}

caf::result<service> lookup(directory_actor* self, node_parts* owner, const std::string& name,
                            const std::optional<schema_id>& want) {
  auto local = local_lookup(owner, name, want);
  if (local.flag != caf::rt_error)
    return local;
  auto err = local.err;
  if (from_caf_error(err).code != errc::unknown_service)
    return err; // found here, but refused (schema)
  return remote_lookup(self, owner, name, want, std::move(err));
}

registry_record node_record(node_parts* owner) {
  registry_record rec;
  rec.kind = entry_kind::node;
  rec.name = owner->name();
  rec.node = owner->name();
  rec.host = owner->host_id();
  rec.pid = static_cast<uint32_t>(getpid());
  rec.lease_ms = owner->options.lease.count();
  return rec;
}

/// The registry refused the record `key`: the node is told once per kind of
/// refusal; an outsider (another run's registry) stops offering records.
void refused(directory_actor* self, node_parts* owner, const std::string& key, errc code,
             const std::string& context) {
  auto& st = self->state;
  if (code == errc::unauthenticated)
    st.outsider = true;
  if (!st.refusals_told.insert(code).second)
    return;
  if (owner->options.on_refused)
    owner->options.on_refused(error{code, "the registry refused " + key + ": " + context});
}

} // namespace

caf::behavior directory(caf::stateful_actor<directory_state>* self, node_parts* owner) {
  ignore_unexpected(self);
  if (owner->net != nullptr) {
    if (owner->options.announce)
      add(self, owner, node_record(owner));
    self->send(self, tick_atom::value);
  }
  return {
      [=](lookup_atom, const std::string& name) { return lookup(self, owner, name, std::nullopt); },
      [=](lookup_atom, const std::string& name, const schema_id& want) {
        return lookup(self, owner, name, want);
      },
      [=](channel_atom, registry_record rec) { add(self, owner, std::move(rec)); },
      [=](unchannel_atom, const std::string& name) {
        remove(self, owner, entry_kind::channel, name);
      },
      [=](serve_atom, registry_record rec) { add(self, owner, std::move(rec)); },
      [=](unserve_atom, const std::string& name) {
        remove(self, owner, entry_kind::service, name);
      },
      [=](tick_atom) { renew_all(self, owner); },
      [=](refused_atom, const std::string& key, uint8_t code, const std::string& context) {
        refused(self, owner, key, static_cast<errc>(code), context);
      },
      [=](retry_atom, const std::string& key, int attempt) {
        if (auto it = self->state.registered.find(key); it != self->state.registered.end())
          register_record(self, owner, it->second, attempt);
      },
  };
}

} // namespace dxhub::runtime::detail
