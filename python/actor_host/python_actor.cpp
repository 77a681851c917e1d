// Python actors in a deployment: the actor plugin `libdxhub_python_actors.so`
// registers actor type "python". A node that loads it (`plugins = [...]` in
// the deployment) embeds one interpreter, hands it the node of its process
// (so `import dxhub` inside an actor talks through the host's node), and runs
// each Python actor as a detached CAF actor supervised like any other:
//
//   [[nodes.actors]]
//   type = "python"
//   name = "scan0"
//   params = { module = "myexp.scan:Scan", step_mm = 0.5 }
//   subscribes = ["lab/cam0/raw"]
//
// The class is instantiated with no arguments; `name`, `params`,
// `publishes`, `subscribes` are set on the instance, then `on_start()`.
// Frames of the subscribed channels go to `on_frame(frame)`, events under
// the prefixes of `params.watch` to `on_event(event)`, a tick every
// `period_s` (class attribute) to `on_timer()`, and the commands named in
// `commands` (class attribute) are served under the actor's name and call the
// method of that name with the command's arguments. `on_stop()` runs when
// the actor ends. An exception in any of them ends the actor with an error,
// and its supervisor restarts it per its restart policy (a command's caller
// gets the exception's text first).

#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/actor_plugin.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include "../python_frame.hpp"
#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include <condition_variable>
#include <cstdint>
#include <dlfcn.h>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace py = pybind11;

namespace dxhub::python {

namespace {

using python_tick_atom = caf::atom_constant<caf::atom("pytick")>;
using python_crash_atom = caf::atom_constant<caf::atom("pycrash")>;

/// Starts the interpreter once per process and gives it this process's node;
/// the GIL is let go afterwards (each actor takes it to run Python).
expected<void> ensure_interpreter(caf::actor_system& sys) {
  static std::mutex mutex;
  static bool started = false;
  static std::optional<error> failed;
  std::lock_guard lock{mutex};
  if (!started) {
    started = true;
    auto* n = runtime::node::of(sys);
    if (n == nullptr) {
      failed = error{errc::config_error, "python actors need a dxhub node in their process"};
      return *failed;
    }
    // The node loaded this plugin, and with it libpython, privately
    // (RTLD_LOCAL): extension modules (numpy, the stdlib's own) would not see
    // the interpreter's symbols. Make libpython global first.
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&Py_InitializeEx), &info) != 0
        && info.dli_fname != nullptr)
      (void)::dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    // No Python signal handlers: the host process owns SIGINT and SIGTERM.
    py::initialize_interpreter(false);
    try {
      py::module_::import("dxhub._dxhub").attr("_adopt")(reinterpret_cast<uintptr_t>(n));
      py::module_::import("dxhub");
    } catch (py::error_already_set& e) {
      failed = error{errc::config_error, std::string{"python actors: import dxhub: "} + e.what()};
    }
    PyEval_SaveThread();
  }
  if (failed)
    return *failed;
  return ok();
}

/// The user's object, shared by the actor's state and its exit functor (which
/// may run after the state is gone); released with the GIL held.
struct python_instance {
  PyObject* object = nullptr;
};

struct python_actor_state {
  std::shared_ptr<python_instance> holder = std::make_shared<python_instance>();
  PyObject*& instance() { return holder->object; }
  std::string name;
};

using python_actor_type = caf::stateful_actor<python_actor_state>;

/// The Python actors of this process that have not ended, by name. A thread
/// stuck in Python cannot be stopped from outside: when the supervisor starts
/// a replacement for an actor whose old instance still runs (the watchdog
/// gave up on it), only a new process frees its service name and the GIL.
struct running_actors {
  std::mutex mutex;
  std::condition_variable ended;
  std::map<std::string, int> count;
};

running_actors& running() {
  static running_actors all;
  return all;
}

/// Counts the actor as running until it ends.
void count_running(python_actor_type* self, const std::string& name) {
  {
    std::lock_guard lock{running().mutex};
    ++running().count[name];
  }
  self->attach_functor([name] {
    {
      std::lock_guard lock{running().mutex};
      if (--running().count[name] == 0)
        running().count.erase(name);
    }
    running().ended.notify_all();
  });
}

/// Ends the node when `name`'s previous instance still runs: its launcher
/// starts it again, and the actor with it (exit code 1: a failure, restarted).
void end_node_if_hung(const std::string& name) {
  // An instance that ended may still be on its way out (its down message
  // can reach the supervisor before its clean-up ran): a second of grace.
  std::unique_lock lock{running().mutex};
  if (running().ended.wait_for(lock, std::chrono::seconds{1},
                               [&] { return running().count.count(name) == 0; }))
    return;
  std::cerr << "python actor '" << name
            << "': the previous instance is still running Python code after its supervisor "
               "gave up on it (watchdog); a thread cannot be stopped from outside, so this "
               "node ends and its launcher starts it again"
            << std::endl;
  std::_Exit(1);
}

std::string describe(py::error_already_set& e) {
  return py::str(e.type().attr("__name__")).cast<std::string>() + ": "
         + py::str(e.value()).cast<std::string>();
}

/// Ends the actor with `why` as its error: its supervisor restarts it.
void crash(python_actor_type* self, const std::string& why) {
  std::cerr << "python actor '" << self->state.name << "': " << why << std::endl;
  self->quit(
      to_caf_error(error{errc::service_error, "python actor '" + self->state.name + "': " + why}));
}

/// Calls `method` of the instance (if it has one) with the GIL held; false
/// after an exception (the actor then crashes).
template <class MakeArgs>
bool call_method(python_actor_type* self, const char* method, MakeArgs make_args) {
  std::string failure;
  {
    py::gil_scoped_acquire gil;
    if (self->state.instance() == nullptr)
      return true;
    auto obj = py::reinterpret_borrow<py::object>(self->state.instance());
    if (!py::hasattr(obj, method))
      return true;
    try {
      py::tuple args = make_args();
      obj.attr(method)(*args);
      return true;
    } catch (py::error_already_set& e) {
      failure = std::string{method} + ": " + describe(e);
    }
  }
  crash(self, failure);
  return false;
}

py::tuple no_args() {
  return py::tuple{};
}

runtime::command_table::json_handler command_handler(python_actor_type* self, std::string command) {
  return [self, command](const dxhub::command& c) -> expected<nlohmann::json> {
    std::string failure;
    {
      py::gil_scoped_acquire gil;
      if (self->state.instance() == nullptr)
        return error{errc::peer_down, "the python actor is not running"};
      try {
        auto obj = py::reinterpret_borrow<py::object>(self->state.instance());
        auto json = py::module_::import("json");
        auto args = json.attr("loads")(c.args.text.empty() ? std::string{"null"} : c.args.text);
        auto fn = obj.attr(command.c_str());
        py::object result = py::isinstance<py::dict>(args) ? fn(**args.cast<py::dict>())
                            : args.is_none()               ? fn()
                                                           : fn(args);
        auto text =
            json.attr("dumps")(result, py::arg("default") =
                                           py::module_::import("dxhub._plain").attr("plain"))
                .cast<std::string>();
        return parse_json(text);
      } catch (py::error_already_set& e) {
        failure = command + ": " + describe(e);
      }
    }
    // The caller gets the text; the actor ends and is restarted.
    self->send(self, python_crash_atom::value, failure);
    return error{errc::service_error, failure};
  };
}

caf::behavior python_actor(python_actor_type* self, runtime::actor_args args, std::string module,
                           std::string class_name) {
  self->state.name = args.name;
  count_running(self, args.name);
  runtime::set_label(self, args.name);
  runtime::command_table commands;
  std::optional<double> period_s;
  std::vector<std::string> watch;
  std::string failure;
  {
    py::gil_scoped_acquire gil;
    try {
      auto json = py::module_::import("json");
      auto cls = py::module_::import(module.c_str()).attr(class_name.c_str());
      auto obj = cls();
      obj.attr("name") = args.name;
      obj.attr("params") = json.attr("loads")(args.params.dump());
      obj.attr("publishes") = py::cast(args.publishes);
      obj.attr("subscribes") = py::cast(args.subscribes);
      if (py::hasattr(obj, "commands"))
        for (auto c : obj.attr("commands")) {
          auto command = c.cast<std::string>();
          commands.on_command(command, command_handler(self, command));
        }
      if (py::hasattr(obj, "period_s") && !obj.attr("period_s").is_none())
        period_s = obj.attr("period_s").cast<double>();
      self->state.instance() = obj.release().ptr();
    } catch (py::error_already_set& e) {
      failure = "cannot make " + module + ":" + class_name + ": " + describe(e);
    }
  }
  if (!failure.empty()) {
    crash(self, failure);
    return {};
  }
  if (auto w = args.params.find("watch"); w != args.params.end() && w->is_array())
    for (const auto& prefix : *w)
      if (prefix.is_string())
        watch.push_back(prefix.get<std::string>());
  self->attach_functor([holder = self->state.holder] {
    py::gil_scoped_acquire gil;
    if (holder->object == nullptr)
      return;
    auto obj = py::reinterpret_steal<py::object>(holder->object);
    holder->object = nullptr;
    if (py::hasattr(obj, "on_stop")) {
      try {
        obj.attr("on_stop")();
      } catch (py::error_already_set& e) {
        std::cerr << "python actor: on_stop: " << describe(e) << std::endl;
      }
    }
  });
  if (!call_method(self, "on_start", no_args))
    return {};
  if (!commands.names().empty())
    if (auto served = runtime::serve(self, args.name, commands); !served) {
      crash(self, served.error().what());
      return {};
    }
  for (const auto& channel : args.subscribes)
    if (auto sub = runtime::subscribe(self, channel); !sub) {
      crash(self, sub.error().what());
      return {};
    }
  for (const auto& prefix : watch)
    (void)runtime::subscribe_events(self, prefix);
  auto period = std::chrono::milliseconds{period_s ? static_cast<int64_t>(*period_s * 1000) : 0};
  if (period.count() > 0)
    self->delayed_send(self, period, python_tick_atom::value);
  return {
      commands.handler(),
      actors::answer_watchdog(),
      [self](const runtime::frame& f) {
        call_method(self, "on_frame", [&] { return py::make_tuple(py::cast(python_frame{f})); });
      },
      [](const runtime::channel_status&) {},
      [self](const event& e) {
        call_method(self, "on_event", [&] {
          py::dict d;
          d["topic"] = e.topic;
          d["source"] = e.source;
          d["kind"] = e.kind;
          d["sequence"] = e.sequence;
          d["wall_ns"] = e.wall_ns;
          d["data"] = py::module_::import("json").attr("loads")(e.data.text);
          return py::make_tuple(d);
        });
      },
      [self, period](python_tick_atom) {
        if (call_method(self, "on_timer", no_args))
          self->delayed_send(self, period, python_tick_atom::value);
      },
      [self](python_crash_atom, const std::string& why) { crash(self, why); },
  };
}

expected<caf::actor> spawn_python_actor(caf::actor_system& sys, const runtime::actor_args& args) {
  auto spec = args.param("module", std::string{});
  auto colon = spec.find(':');
  if (spec.empty() || colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    return error{errc::invalid_argument,
                 "python actor '" + args.name
                     + "': params.module must be \"package.module:Class\", got '" + spec + "'"};
  DXHUB_TRYV(ensure_interpreter(sys));
  end_node_if_hung(args.name);
  // Detached: Python runs on the actor's own thread, holding the GIL only
  // while it runs; the node's workers never wait for it.
  return sys.spawn<caf::detached>(python_actor, args, spec.substr(0, colon),
                                  spec.substr(colon + 1));
}

} // namespace

} // namespace dxhub::python

DXHUB_ACTOR_PLUGIN(types) {
  types.add("python", dxhub::python::spawn_python_actor);
}
