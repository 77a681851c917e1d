#pragma once

// A received frame as Python holds it: the runtime's handle, which pins the
// frame's bytes (a shared-memory chunk) while the object lives.

#include "dxhub/runtime/frame.hpp"

namespace dxhub::python {

struct python_frame {
  runtime::frame handle;
};

} // namespace dxhub::python
