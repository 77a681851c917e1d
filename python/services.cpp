// Services from Python: `dxhub.call(service, command, **args)` and
// `dxhub.serve(name, {command: fn})`. Arguments and results travel as JSON
// (the untyped form every service accepts); errors raise the class of their
// code, with the message a C++ caller gets.

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include "bindings.hpp"
#include "embedded_node.hpp"
#include "errors.hpp"
#include "waiting.hpp"
#include <pybind11/stl.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace py = pybind11;

namespace dxhub::python {

namespace {

std::chrono::milliseconds to_ms(std::optional<double> seconds) {
  if (!seconds)
    return runtime::default_call_timeout;
  return std::chrono::milliseconds{static_cast<int64_t>(*seconds * 1000.0)};
}

/// Services found before, by name: a call does not ask the registry each
/// time. Cleared at shutdown: a cached handle keeps its actor (a Python
/// service of this process) from ending, and the actor system waits for it.
class service_cache : public closable {
public:
  std::optional<runtime::service> get(const std::string& name) {
    std::lock_guard lock{mutex_};
    auto it = found_.find(name);
    if (it == found_.end())
      return std::nullopt;
    return it->second;
  }
  void put(const runtime::service& s) {
    // A cached handle keeps its actor alive: a host's actors must be free to end.
    if (embedded_node::get().adopted())
      return;
    std::lock_guard lock{mutex_};
    found_[s.name] = s;
  }
  void forget(const std::string& name) {
    std::lock_guard lock{mutex_};
    found_.erase(name);
  }
  void close() override {
    std::lock_guard lock{mutex_};
    found_.clear();
  }

private:
  std::mutex mutex_;
  std::map<std::string, runtime::service> found_;
};

service_cache& cache() {
  static auto c = [] {
    auto made = std::make_shared<service_cache>();
    embedded_node::get().track(made);
    return made;
  }();
  return *c;
}

/// Waits for the answer to request `h` of `self`, in slices without the GIL
/// so that Ctrl-C ends the wait (KeyboardInterrupt). The request's own
/// timeout bounds it: an error answer ends it too. An interrupted actor is
/// dropped, not pooled, since the answer may still come to it.
template <class Answer, class Handle, class OnAnswer, class OnError>
void receive_interruptibly(lent_actor& self, const Handle& h, OnAnswer on_answer,
                           OnError on_error) {
  bool done = false;
  try {
    wait_interruptibly(std::nullopt, [&](std::chrono::milliseconds limit) {
      caf::blocking_actor::accept_one_cond once;
      self->ptr()->varargs_receive(
          once, h.id(),
          [&](const Answer& answer) {
            on_answer(answer);
            done = true;
          },
          [&](caf::error& e) {
            on_error(e);
            done = true;
          },
          caf::after(limit) >> [] {});
      return done;
    });
  } catch (...) {
    self.drop();
    throw;
  }
}

expected<runtime::service> find(lent_actor& self, const std::string& name,
                                std::chrono::milliseconds timeout) {
  if (auto s = cache().get(name))
    return *s;
  expected<runtime::service> found = error{errc::unknown_service, name};
  receive_interruptibly<runtime::service>(
      self, runtime::lookup(self->ptr(), name, timeout),
      [&](const runtime::service& s) { found = s; },
      [&](caf::error& e) { found = from_caf_error(e); });
  if (found)
    cache().put(found.value());
  return found;
}

py::object call(const std::string& service_name, const std::string& command,
                std::optional<double> timeout_s, py::kwargs args) {
  auto json = py::module_::import("json");
  auto text = json.attr("dumps")(args).cast<std::string>();
  auto timeout = to_ms(timeout_s);
  auto& n = embedded_node::get();
  expected<std::string> result = error{errc::timeout};
  auto self = n.lend();
  auto svc = find(self, service_name, timeout);
  if (!svc) {
    result = svc.error();
  } else {
    receive_interruptibly<reply>(
        self, runtime::call_json(self->ptr(), svc.value(), command, json_text{text}, timeout),
        [&](const reply& r) {
          if (r.ok())
            result = r.result.text;
          else
            result = error{r.code, r.error_context};
        },
        [&](caf::error& e) { result = from_caf_error(e); });
    // A service that went away may come back elsewhere: look it up again.
    if (!result
        && (result.error().code == errc::peer_down || result.error().code == errc::timeout
            || result.error().code == errc::unknown_service))
      cache().forget(service_name);
  }
  if (!result)
    raise(result.error());
  return json.attr("loads")(result.value());
}

/// The Python side of a served service: the handler functions, called on
/// the service actor's own thread with the GIL taken.
/// The actor's behavior holds this (and may drop it on its own thread,
/// without the GIL): so it borrows the functions, which `python_service`
/// owns and frees with the GIL held.
struct handler_table {
  PyObject* functions = nullptr;
  std::atomic<bool> alive{true};
};

/// Turns a Python exception from a handler into the error its caller gets:
/// a dxhub.Error keeps its code, anything else is `service_error` with the
/// exception's type and text.
error error_of(py::error_already_set& e) {
  auto errors = py::module_::import("dxhub.errors");
  if (e.matches(errors.attr("Error"))) {
    errc code = errc::service_error;
    auto code_name = py::getattr(e.value(), "code", py::none());
    if (!code_name.is_none())
      parse_errc(code_name.cast<std::string>(), code);
    auto context = py::getattr(e.value(), "context", py::none());
    return {code, context.is_none() ? py::str(e.value()).cast<std::string>()
                                    : context.cast<std::string>()};
  }
  auto type = py::str(e.type().attr("__name__")).cast<std::string>();
  return {errc::service_error, type + ": " + py::str(e.value()).cast<std::string>()};
}

/// Whether the command's arguments bind to the handler's parameters (asked
/// only after a TypeError, to tell the caller's mistake from the handler's).
bool arguments_fit(const std::shared_ptr<handler_table>& table, const std::string& command,
                   const dxhub::command& c) {
  try {
    auto fn = py::reinterpret_borrow<py::dict>(table->functions)[py::str(command)];
    auto signature = py::module_::import("inspect").attr("signature")(fn);
    auto args = py::module_::import("json").attr("loads")(c.args.text);
    if (args.is_none())
      signature.attr("bind")();
    else if (py::isinstance<py::dict>(args))
      signature.attr("bind")(**args.cast<py::dict>());
    else
      signature.attr("bind")(args);
    return true;
  } catch (py::error_already_set&) {
    return false;
  }
}

runtime::command_table::json_handler python_handler(std::shared_ptr<handler_table> table,
                                                    std::string command) {
  return [table, command](const dxhub::command& c) -> expected<nlohmann::json> {
    py::gil_scoped_acquire gil;
    if (!table->alive)
      return error{errc::peer_down, "the Python service is closing"};
    try {
      auto json = py::module_::import("json");
      auto fn = py::reinterpret_borrow<py::dict>(table->functions)[py::str(command)];
      auto args = json.attr("loads")(c.args.text.empty() ? std::string{"null"} : c.args.text);
      py::object result;
      if (args.is_none())
        result = fn();
      else if (py::isinstance<py::dict>(args))
        result = fn(**args.cast<py::dict>());
      else
        result = fn(args);
      // numpy values become lists and numbers; anything else its text.
      auto to_plain = py::module_::import("dxhub._plain").attr("plain");
      auto text = json.attr("dumps")(result, py::arg("default") = to_plain).cast<std::string>();
      auto doc = parse_json(text);
      if (!doc)
        return doc.error();
      return std::move(doc).value();
    } catch (py::error_already_set& e) {
      // Arguments the function does not take are the caller's mistake, as a
      // misspelt argument of a C++ service is: `invalid_argument`.
      if (e.matches(PyExc_TypeError) && !arguments_fit(table, command, c))
        return error{errc::invalid_argument, py::str(e.value()).cast<std::string>()};
      return error_of(e);
    } catch (const std::exception& e) {
      return error{errc::service_error, e.what()};
    }
  };
}

caf::behavior python_service_actor(caf::event_based_actor* self, std::string name,
                                   runtime::command_table commands,
                                   std::shared_ptr<std::promise<error>> started) {
  runtime::set_label(self, name);
  auto served = runtime::serve(self, name, commands);
  started->set_value(served ? error{} : served.error());
  if (!served) {
    self->quit();
    return {};
  }
  return {commands.handler()};
}

class python_service : public closable {
public:
  python_service(std::string name, py::dict functions) : name_(std::move(name)) {
    functions_ = std::move(functions);
    table_ = std::make_shared<handler_table>();
    table_->functions = functions_.ptr();
    runtime::command_table commands;
    for (auto [key, value] : functions_) {
      if (!py::isinstance<py::str>(key) || !PyCallable_Check(value.ptr()))
        raise({errc::invalid_argument, "serve() wants {command name: function}"});
      auto command = key.cast<std::string>();
      commands.on_command(command, python_handler(table_, command));
    }
    auto& n = embedded_node::get();
    auto started = std::make_shared<std::promise<error>>();
    auto outcome = started->get_future();
    // Detached: a handler holds its thread while it waits for the GIL and
    // runs Python; the node's workers stay free for everything else.
    actor_ = n.system().spawn<caf::detached>(python_service_actor, name_, commands, started);
    error e;
    {
      py::gil_scoped_release nogil;
      e = outcome.get();
    }
    if (e) {
      close();
      raise(e);
    }
  }

  ~python_service() override { close(); }

  void close() override {
    caf::actor a;
    {
      std::lock_guard lock{mutex_};
      a = std::move(actor_);
      actor_ = nullptr;
    }
    if (!a)
      return;
    table_->alive = false;
    bool have_gil = PyGILState_Check() != 0;
    std::optional<py::gil_scoped_release> nogil;
    if (have_gil)
      nogil.emplace();
    // A handler in flight may wait for the GIL: wait for the actor without it.
    caf::scoped_actor self{a.home_system()};
    self->send_exit(a, caf::exit_reason::user_shutdown);
    self->wait_for(a);
  }

  const std::string& name() const noexcept { return name_; }

private:
  std::string name_;
  std::mutex mutex_;
  py::dict functions_;
  std::shared_ptr<handler_table> table_;
  caf::actor actor_;
};

std::shared_ptr<python_service> serve(const std::string& name, py::dict functions) {
  auto s = std::make_shared<python_service>(name, std::move(functions));
  embedded_node::get().track(s);
  return s;
}

} // namespace

void bind_services(py::module_& m) {
  m.def("call", &call, py::arg("service"), py::arg("command"), py::arg("timeout") = py::none(),
        "Sends `command` with keyword arguments to `service` and returns the result as "
        "Python data; raises a dxhub.errors class (Timeout, PeerDown, UnknownService, "
        "UnknownCommand, InvalidArgument, ServiceError, ...) with the message a C++ caller "
        "gets. `timeout` in seconds (default 2).");

  py::class_<python_service, std::shared_ptr<python_service>>(
      m, "Service", "A service served by this process; see dxhub.serve.")
      .def_property_readonly("name", &python_service::name)
      .def("close", &python_service::close, "Stops serving (also at interpreter exit).");

  m.def("_serve", &serve, py::arg("name"), py::arg("commands"));
}

} // namespace dxhub::python
