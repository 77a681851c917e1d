#pragma once

// The parts of the module, each binding one concept (module.cpp calls them).

#include <pybind11/pybind11.h>

namespace dxhub::python {

void bind_node(pybind11::module_& m);
void bind_frames(pybind11::module_& m);
void bind_publishing(pybind11::module_& m);
void bind_services(pybind11::module_& m);
void bind_events(pybind11::module_& m);

} // namespace dxhub::python
