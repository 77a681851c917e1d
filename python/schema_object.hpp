#pragma once

// A frame schema as Python holds it (`dxhub.schema(image=("u16", (480, 640)))`).

#include "dxhub/schemas/frame_schema.hpp"

namespace dxhub::python {

struct schema_object {
  frame_schema schema;
};

} // namespace dxhub::python
