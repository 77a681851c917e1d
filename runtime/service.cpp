#include "dxhub/runtime/service.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/node_access.hpp"
#include "dxhub/runtime/detail/remote_calls.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/name.hpp"

#include <caf/local_actor.hpp>
#include <caf/send.hpp>

#include <unistd.h>

namespace dxhub::runtime {

void command_table::add(std::string name, const schema_id& args, runner run) {
  // Copies of a table share the entries: `handler()` stays current.
  state_->entries[std::move(name)] = entry{args, std::move(run), {}};
}

void command_table::add_deferred(std::string name, const schema_id& args, deferred_runner run) {
  state_->entries[std::move(name)] = entry{args, {}, std::move(run)};
}

command_table& command_table::on_command(std::string name, json_handler handler) {
  add(std::move(name), schema_id{},
      [handler = std::move(handler)](const command& c, reply& r) -> expected<void> {
        expected<nlohmann::json> result = error{errc::service_error};
        if (c.packed_args.empty()) {
          result = handler(c);
        } else {
          DXHUB_TRY(args, packed_as_json(c.packed_args));
          auto as_json = c;
          as_json.args = json_text{args.dump()};
          as_json.packed_args = {};
          result = handler(as_json);
        }
        if (!result)
          return result.error();
        r.result = json_text{result.value().dump()};
        return ok();
      });
  return *this;
}

namespace {

reply failed(const command& c, error e, int64_t started_ns) {
  reply r;
  r.id = c.id;
  r.code = e.code;
  r.error_context = std::move(e.context);
  r.result = json_text{};
  r.service_ns = monotonic_ns() - started_ns;
  return r;
}

/// Runs a handler; an exception it throws is the caller's `service_error`.
template <class F>
expected<void> guarded(const command& c, F&& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    return error{errc::service_error, "command '" + c.name + "' threw: " + e.what()};
  }
}

} // namespace

expected<const command_table::entry*> command_table::entry_for(const command& c) const {
  auto it = state_->entries.find(c.name);
  if (it == state_->entries.end()) {
    std::string all;
    for (const auto& n : names())
      all += (all.empty() ? "" : ", ") + n;
    return error{errc::unknown_command, "'" + c.name + "' is not a command of '" + c.service
                                            + "' (commands: " + all + ")"};
  }
  const auto& declared = it->second.args;
  if (!c.args_schema.name.empty() && !declared.name.empty())
    DXHUB_TRYV(require_same_schema(declared, c.args_schema,
                                   "command '" + c.name + "' of '" + c.service + "'", "caller"));
  return &it->second;
}

reply command_table::dispatch(const command& c) const {
  auto started = monotonic_ns();
  auto found = entry_for(c);
  if (!found)
    return failed(c, found.error(), started);
  return run_now(c, *found.value(), started);
}

reply command_table::run_now(const command& c, const entry& e, int64_t started_ns) const {
  if (!e.run)
    return failed(c,
                  {errc::service_error, "command '" + c.name + "' of '" + c.service
                                            + "' answers later: send it to the serving actor"},
                  started_ns);
  reply r;
  r.id = c.id;
  if (auto done = guarded(c, [&] { return e.run(c, r); }); !done)
    return failed(c, done.error(), started_ns);
  r.service_ns = monotonic_ns() - started_ns;
  return r;
}

caf::result<reply> command_table::answer(const command& c) const {
  auto started = monotonic_ns();
  auto found = entry_for(c);
  if (!found)
    return failed(c, found.error(), started);
  if (found.value()->run)
    return run_now(c, *found.value(), started);
  auto* self = state_->owner;
  if (self == nullptr)
    return failed(c,
                  {errc::service_error, "command '" + c.name + "' of '" + c.service
                                            + "' answers later, but no actor serves the table"},
                  started);
  reply skeleton;
  skeleton.id = c.id;
  deferred_reply done{self->make_response_promise<reply>(), std::move(skeleton),
                      !c.packed_args.empty(), started};
  auto promise = done;
  if (auto begun = guarded(c, [&] { return found.value()->run_later(c, done); }); !begun)
    promise.fail(begun.error());
  return caf::delegated<reply>{};
}

schema_id command_table::interface(std::string_view service_name) const {
  std::string canonical;
  for (const auto& [name, e] : state_->entries)
    canonical += name + "(" + e.args.name + "#" + std::to_string(e.args.hash) + ");";
  return {std::string{service_name}, 1, fnv1a(canonical)};
}

std::vector<std::string> command_table::names() const {
  std::vector<std::string> result;
  for (const auto& [name, e] : state_->entries)
    result.push_back(name);
  return result;
}

expected<void> serve(caf::local_actor* self, const std::string& name,
                     const command_table& commands) {
  DXHUB_TRYV(validate_name(name, "service"));
  DXHUB_TRY(n, node::require(self->home_system()));
  registry_record rec;
  rec.kind = entry_kind::service;
  rec.name = name;
  rec.node = n->name();
  rec.host = n->host_id();
  rec.pid = static_cast<uint32_t>(getpid());
  rec.schema = commands.interface(name);
  rec.lease_ms = n->options().lease.count();
  rec.properties.text = nlohmann::json{{"commands", commands.names()}}.dump();
  auto handle = caf::actor_cast<caf::actor>(self);
  DXHUB_TRYV(detail::node_access::services(*n).add(name, handle, rec));
  commands.answered_by(self);
  if (n->label(self->id()).empty())
    n->set_label(self->id(), name);
  caf::anon_send(detail::node_access::directory(*n), detail::serve_atom::value, rec);
  self->attach_functor([sys = &self->home_system(), name, addr = handle.address()] {
    node::with_node(*sys, [&](node& owner) {
      detail::node_access::services(owner).remove(name, addr);
      caf::anon_send(detail::node_access::directory(owner), detail::unserve_atom::value, name);
    });
  });
  return ok();
}

namespace detail {

caf::actor directory_of(caf::local_actor* self) {
  auto* n = node::of(self->home_system());
  return n != nullptr ? detail::node_access::directory(*n) : caf::actor{};
}

caf::actor call_target(caf::local_actor* self, const service& svc) {
  auto* n = node::of(self->home_system());
  if (n == nullptr)
    return {};
  return svc.via == transport::zmq ? detail::node_access::calls(*n).gate()
                                   : detail::node_access::router(*n);
}

caf::message lookup_message(const std::string& name) {
  return caf::make_message(lookup_atom::value, name);
}

caf::message lookup_message(const std::string& name, const schema_id& want) {
  return caf::make_message(lookup_atom::value, name, want);
}

caf::message call_message(const service& svc, command cmd) {
  return caf::make_message(call_atom::value, svc, std::move(cmd));
}

caf::duration caller_wait(const service& svc, std::chrono::milliseconds t) {
  if (svc.via == transport::zmq)
    return caf::infinite;
  return caf::duration{t + caller_grace};
}

command make_command(caf::local_actor* self, const service& svc, const std::string& name,
                     json_text args, schema_id args_schema, std::chrono::milliseconds timeout) {
  command cmd;
  auto* n = node::of(self->home_system());
  cmd.id = n != nullptr ? n->next_command_id() : 0;
  cmd.caller = source_name(self);
  cmd.service = svc.name;
  cmd.name = name;
  cmd.args = std::move(args);
  cmd.args_schema = std::move(args_schema);
  cmd.timeout_ms = timeout.count();
  cmd.sent_wall_ns = wall_ns();
  return cmd;
}

} // namespace detail

} // namespace dxhub::runtime
