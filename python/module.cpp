// The extension module `dxhub._dxhub`; the package `dxhub` (dxhub/__init__.py)
// is its public face.

#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_options.hpp"

#include "bindings.hpp"
#include "embedded_node.hpp"
#include "errors.hpp"
#include <pybind11/stl.h>

#include <optional>
#include <string>

namespace py = pybind11;

namespace dxhub::python {

void bind_node(py::module_& m) {
  m.def(
      "init",
      [](std::optional<std::string> name, std::optional<std::string> registry, bool shared_memory,
         bool networked) {
        runtime::node_options o;
        o.name = name ? *name : "py-" + std::to_string(::getpid());
        if (registry)
          o.registry = *registry;
        else if (const char* env = std::getenv("DXHUB_REGISTRY"))
          o.registry = env;
        o.shared_memory = shared_memory;
        o.networked = networked;
        embedded_node::configure(std::move(o));
      },
      py::arg("name") = py::none(), py::arg("registry") = py::none(),
      py::arg("shared_memory") = true, py::arg("networked") = true,
      "Sets the options of this process's node before its first use (default: name "
      "py-<pid> or $DXHUB_NODE_NAME, registry $DXHUB_REGISTRY).");
  m.def(
      "node_name", [] { return embedded_node::get().node().name(); },
      "The name of this process's node (starts the node).");
  m.def("_running", &embedded_node::running);
  m.def(
      "_adopt",
      [](uintptr_t address) { embedded_node::adopt(*reinterpret_cast<runtime::node*>(address)); },
      "For the Python actor host (python/actor_host.cpp): the node of this process.");
  m.def("_shutdown", &embedded_node::shutdown,
        "Closes every subscription, publisher, service and watch and stops the node.");
}

} // namespace dxhub::python

PYBIND11_MODULE(_dxhub, m) {
  m.doc() = "dxhub: frames as zero-copy numpy arrays, services and events (see dxhub/__init__.py)";
  dxhub::python::bind_errors(m);
  dxhub::python::bind_node(m);
  dxhub::python::bind_frames(m);
  dxhub::python::bind_publishing(m);
  dxhub::python::bind_services(m);
  dxhub::python::bind_events(m);
}
