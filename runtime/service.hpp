#pragma once

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/deferred_reply.hpp"
#include "dxhub/runtime/found_service.hpp"
#include "dxhub/runtime/transport.hpp"
#include "dxhub/schemas/arguments.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/packing.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/schemas/schema_of.hpp"

#include <caf/actor.hpp>
#include <caf/duration.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/result.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace dxhub::runtime {

/// No arguments, or no result.
struct nothing {
  static constexpr const char* schema_name = "dxhub.nothing";
  static constexpr uint32_t schema_version = 1;
  template <class Self, class F>
  static decltype(auto) describe(Self&, F&& f) {
    return f();
  }
  friend bool operator==(nothing, nothing) = default;
};

/// The commands of a service, each a name with typed arguments and result.
/// Arguments arrive as JSON (from Python, the shell or `call_json`) or packed
/// (from a typed C++ `call`) and are decoded into the handler's argument type
/// strictly (schemas/arguments.hpp): a missing, misspelt or mistyped argument
/// is `invalid_argument` naming it. A caller that states another argument
/// schema is refused with an error naming both. A packed call is answered
/// with a packed result when the result's type is a described one, every
/// other call in JSON.
///
///   command_table cmds;
///   cmds.on<exposure>("set_exposure", [=](const exposure& e) -> expected<exposure> { ... });
///   cmds.on("get_state", [=]() { return state_of(self); });
///   cmds.on_deferred<target>("move_to", [=](const target& t, deferred_reply done) { ... });
///   serve(self, "lab/cam0", cmds);
///   return {cmds.handler(), ...other handlers...};
class command_table {
public:
  using json_handler = std::function<expected<nlohmann::json>(const command&)>;

  /// A command whose arguments decode into `Args` (a described type).
  template <described Args, class F>
  command_table& on(std::string name, F handler) {
    add(std::move(name), schema_of<Args>(),
        [handler](const command& c, reply& r) -> expected<void> {
          DXHUB_TRY(args, read_args<Args>(c));
          return detail::fill_result(handler(args), !c.packed_args.empty(), r);
        });
    return *this;
  }

  /// A command without arguments (any argument given is refused).
  template <class F>
  requires std::is_invocable_v<F> command_table& on(std::string name, F handler) {
    add(std::move(name), schema_of<nothing>(),
        [handler](const command& c, reply& r) -> expected<void> {
          DXHUB_TRYV(read_args<nothing>(c));
          return detail::fill_result(handler(), !c.packed_args.empty(), r);
        });
    return *this;
  }

  /// A command answered later: `handler(args, done)` keeps `done` and calls
  /// `done.deliver(result)` or `done.fail(error)` when it can (deferred_reply.hpp).
  /// Needs `serve` (the table answers for the actor that serves it).
  template <described Args, class F>
  command_table& on_deferred(std::string name, F handler) {
    add_deferred(std::move(name), schema_of<Args>(),
                 [handler](const command& c, deferred_reply done) -> expected<void> {
                   DXHUB_TRY(args, read_args<Args>(c));
                   handler(args, std::move(done));
                   return ok();
                 });
    return *this;
  }

  /// A command without arguments answered later: `handler(done)`.
  template <class F>
  requires std::is_invocable_v<F, deferred_reply> command_table& on_deferred(std::string name,
                                                                             F handler) {
    add_deferred(std::move(name), schema_of<nothing>(),
                 [handler](const command& c, deferred_reply done) -> expected<void> {
                   DXHUB_TRYV(read_args<nothing>(c));
                   handler(std::move(done));
                   return ok();
                 });
    return *this;
  }

  /// A command that takes the raw command (arguments as JSON, untyped;
  /// packed arguments are shown to it as JSON).
  command_table& on_command(std::string name, json_handler handler);

  /// Answers `c` at once: decodes, checks the argument schema, runs the
  /// handler. A deferred command cannot be answered so (`service_error`):
  /// send it to the serving actor instead.
  reply dispatch(const command& c) const;

  /// Answers `c` in the serving actor: at once, or later for a deferred command.
  caf::result<reply> answer(const command& c) const;

  /// The identity of the whole interface (command names and argument types).
  schema_id interface(std::string_view service_name) const;

  /// The command names, sorted.
  std::vector<std::string> names() const;

  /// A CAF handler for a behavior: `[](const command&) -> caf::result<reply>`.
  auto handler() const {
    return [table = *this](const command& c) { return table.answer(c); };
  }

  /// The actor that answers deferred commands (`serve` sets it).
  void answered_by(caf::local_actor* self) const noexcept { state_->owner = self; }

private:
  /// Fills the result (or packed result) of `r`.
  using runner = std::function<expected<void>(const command&, reply&)>;
  /// Starts a deferred command; an error is answered at once.
  using deferred_runner = std::function<expected<void>(const command&, deferred_reply)>;

  struct entry {
    schema_id args;
    runner run;
    deferred_runner run_later;
  };

  struct table_state {
    std::map<std::string, entry> entries;
    caf::local_actor* owner = nullptr;
  };

  void add(std::string name, const schema_id& args, runner run);
  void add_deferred(std::string name, const schema_id& args, deferred_runner run);

  /// The entry for `c`, or the error its caller gets (unknown command, other schema).
  expected<const entry*> entry_for(const command& c) const;
  reply run_now(const command& c, const entry& e, int64_t started_ns) const;

  template <described Args>
  static expected<Args> read_args(const command& c) {
    if (!c.packed_args.empty())
      return unpack<Args>(c.packed_args);
    return parse_arguments<Args>(c.args.text);
  }

  std::shared_ptr<table_state> state_ = std::make_shared<table_state>();
};

/// Makes actor `self` the service `name`: registers it (in this node and with
/// the registry) until the actor terminates. `self` must handle `command`
/// messages, usually with `commands.handler()` in its behavior.
expected<void> serve(caf::local_actor* self, const std::string& name,
                     const command_table& commands);

namespace detail {

caf::actor directory_of(caf::local_actor* self);
/// Where a call to `svc` goes: this node's router, or its gate to other nodes.
caf::actor call_target(caf::local_actor* self, const service& svc);
command make_command(caf::local_actor* self, const service& svc, const std::string& name,
                     json_text args, schema_id args_schema, std::chrono::milliseconds timeout);

// How long a caller waits. For a service of this node, a little longer than
// the service's deadline, so that the router's error (with its audit record)
// arrives before the caller's own timeout. For a service of another node, no
// CAF timeout at all: the gate answers every call, by its deadline or with an
// error when the node stops (remote_calls.cpp, `caller_answer`), and a CAF
// timeout would wake the CAF clock thread on every call.
caf::duration caller_wait(const service& svc, std::chrono::milliseconds t);

// The messages the templates below send, made where the runtime's message
// tags are known: the tags are the runtime's own protocol, not its API.
caf::message lookup_message(const std::string& name);
caf::message lookup_message(const std::string& name, const schema_id& want);
caf::message call_message(const service& svc, command cmd);

} // namespace detail

/// Finds service `name`; the answer is a `service` or an error
/// (`unknown_service`). Use like a CAF request:
/// `lookup(self, "lab/cam0").then([=](const service& s) {...}, [=](caf::error& e) {...})`.
template <class Self>
auto lookup(Self* self, const std::string& name,
            std::chrono::milliseconds timeout = default_call_timeout) {
  return self->request(detail::directory_of(self), timeout, detail::lookup_message(name));
}

/// Finds service `name` and checks that its interface is `want`; a different
/// interface is refused with an error naming both.
template <class Self>
auto lookup(Self* self, const std::string& name, const schema_id& want,
            std::chrono::milliseconds timeout = default_call_timeout) {
  return self->request(detail::directory_of(self), timeout, detail::lookup_message(name, want));
}

/// Sends command `name` with typed arguments to `svc`; the answer is a
/// `dxhub::reply` or an error (timeout, service down). Use `result_of<T>`.
/// The arguments travel packed (cereal binary), not as JSON.
template <class Self, described Args>
auto call(Self* self, const service& svc, const std::string& name, const Args& args,
          std::chrono::milliseconds timeout = default_call_timeout) {
  auto cmd = detail::make_command(self, svc, name, json_text{"null"}, schema_of<Args>(), timeout);
  cmd.packed_args = pack(args);
  return self->request(detail::call_target(self, svc), detail::caller_wait(svc, timeout),
                       detail::call_message(svc, std::move(cmd)));
}

/// Sends command `name` without arguments.
template <class Self>
auto call(Self* self, const service& svc, const std::string& name,
          std::chrono::milliseconds timeout = default_call_timeout) {
  return call(self, svc, name, nothing{}, timeout);
}

/// Sends command `name` with JSON arguments (untyped: checked field by field
/// by the service), as the shell and Python clients do.
template <class Self>
auto call_json(Self* self, const service& svc, const std::string& name, json_text args,
               std::chrono::milliseconds timeout = default_call_timeout) {
  auto cmd = detail::make_command(self, svc, name, std::move(args), schema_id{}, timeout);
  return self->request(detail::call_target(self, svc), detail::caller_wait(svc, timeout),
                       detail::call_message(svc, std::move(cmd)));
}

/// Decodes the result of a reply into `T`, or returns the reply's error.
template <class T>
expected<T> result_of(const reply& r) {
  if (!r.ok())
    return error{r.code, r.error_context};
  if constexpr (described<T>) {
    if (!r.packed_result.empty())
      return unpack<T>(r.packed_result);
    return decode_json<T>(r.result.text);
  } else {
    DXHUB_TRY(doc, r.packed_result.empty() ? parse_json(r.result.text)
                                           : packed_as_json(r.packed_result));
    try {
      return doc.template get<T>();
    } catch (const std::exception& e) {
      return error{errc::bad_encoding, e.what()};
    }
  }
}

} // namespace dxhub::runtime
