#pragma once

// Frame fields seen as numpy arrays over the frame's own bytes: no copy;
// the array's base object is what keeps the bytes alive.

#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/field.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <string_view>

namespace dxhub::python {

/// The numpy dtype of `t` (bf16 shows as its bits, u16: numpy has no bfloat16).
pybind11::dtype numpy_dtype(dtype t);

/// The dxhub dtype of a name ("u16", "float32") or numpy dtype-like object.
dtype dtype_from_python(pybind11::handle h);

/// The field `name` of `schema`: its description and where it sits.
struct located_field {
  const field* description = nullptr;
  field_location where;
};
located_field locate_field(const frame_schema& schema, std::string_view name);

/// An array over `bytes` with the dtype and shape of `f`; `base` keeps the
/// bytes alive. Read-only unless `writable`.
pybind11::array field_array(const located_field& f, std::byte* bytes, pybind11::handle base,
                            bool writable);

/// "u16 [480, 640]".
std::string describe(const field& f);

} // namespace dxhub::python
