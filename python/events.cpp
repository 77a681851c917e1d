// Events from Python: `dxhub.emit(topic, kind, data)` and
// `for ev in dxhub.watch(prefix):` (events of every node, through the
// registry's relay when the node has a registry).

#include "dxhub/runtime/events.hpp"

#include "dxhub/schemas/event.hpp"

#include <caf/all.hpp>

#include "bindings.hpp"
#include "embedded_node.hpp"
#include "errors.hpp"
#include "waiting.hpp"
#include <pybind11/stl.h>

#include <mutex>
#include <optional>
#include <string>

namespace py = pybind11;

namespace dxhub::python {

namespace {

void emit(const std::string& topic, const std::string& kind, py::object data) {
  auto text = py::module_::import("json")
                  .attr("dumps")(data, py::arg("default") =
                                           py::module_::import("dxhub._plain").attr("plain"))
                  .cast<std::string>();
  auto& n = embedded_node::get();
  expected<void> done = ok();
  {
    py::gil_scoped_release nogil;
    auto self = n.lend();
    done = runtime::emit(self->ptr(), topic, kind, json_text{text});
  }
  value_or_raise(std::move(done));
}

py::dict event_dict(const event& e) {
  py::dict d;
  d["topic"] = e.topic;
  d["source"] = e.source;
  d["kind"] = e.kind;
  d["sequence"] = e.sequence;
  d["wall_ns"] = e.wall_ns;
  try {
    d["data"] = py::module_::import("json").attr("loads")(e.data.text);
  } catch (py::error_already_set&) {
    d["data"] = e.data.text;
  }
  return d;
}

/// The events under one topic prefix, received by a blocking actor of its own.
class python_watch : public closable {
public:
  explicit python_watch(std::string prefix) : prefix_(std::move(prefix)) {
    auto& n = embedded_node::get();
    self_ = std::make_unique<caf::scoped_actor>(n.system());
    if (auto watched = runtime::subscribe_events(self_->ptr(), prefix_); !watched) {
      self_.reset();
      raise(watched.error());
    }
  }

  ~python_watch() override { close(); }

  std::optional<py::dict> next(std::optional<double> timeout_s) {
    std::optional<event> got;
    bool closed = false;
    wait_interruptibly(timeout_s, [&](std::chrono::milliseconds limit) {
      std::lock_guard lock{mutex_};
      if (self_ == nullptr) {
        closed = true;
        return true;
      }
      (*self_)->receive([&](const event& e) { got = e; }, caf::after(limit) >> [] {});
      return got.has_value();
    });
    if (closed)
      raise({errc::invalid_argument, "the watch of '" + prefix_ + "' is closed"});
    if (!got)
      return std::nullopt;
    return event_dict(*got);
  }

  void close() override {
    std::lock_guard lock{mutex_};
    if (self_ == nullptr)
      return;
    runtime::unsubscribe_events(self_->ptr(), prefix_);
    self_.reset();
  }

  const std::string& prefix() const noexcept { return prefix_; }

private:
  std::string prefix_;
  std::mutex mutex_;
  std::unique_ptr<caf::scoped_actor> self_;
};

std::shared_ptr<python_watch> watch(const std::string& prefix) {
  auto w = std::make_shared<python_watch>(prefix);
  embedded_node::get().track(w);
  return w;
}

} // namespace

void bind_events(py::module_& m) {
  m.def("emit", &emit, py::arg("topic"), py::arg("kind"), py::arg("data") = py::none(),
        "Publishes an event (data: any JSON-able value) on `topic`.");

  py::class_<python_watch, std::shared_ptr<python_watch>>(
      m, "Watch", "Events whose topic has a prefix; see dxhub.watch.")
      .def("next", &python_watch::next, py::arg("timeout") = py::none(),
           "The next event as a dict (topic, source, kind, sequence, wall_ns, data), or "
           "None when `timeout` seconds pass first.")
      .def_property_readonly("prefix", &python_watch::prefix)
      .def("close", &python_watch::close, py::call_guard<py::gil_scoped_release>());

  m.def("_watch", &watch, py::arg("prefix") = "");
}

} // namespace dxhub::python
