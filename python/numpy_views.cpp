#include "numpy_views.hpp"

#include "errors.hpp"

#include <string>
#include <vector>

namespace py = pybind11;

namespace dxhub::python {

namespace {

py::dtype make_numpy_dtype(dtype t) {
  switch (t) {
    case dtype::boolean:
      return py::dtype("?");
    case dtype::i8:
      return py::dtype("i1");
    case dtype::i16:
      return py::dtype("<i2");
    case dtype::i32:
      return py::dtype("<i4");
    case dtype::i64:
      return py::dtype("<i8");
    case dtype::u8:
      return py::dtype("u1");
    case dtype::u16:
    case dtype::bf16:
      return py::dtype("<u2");
    case dtype::u32:
      return py::dtype("<u4");
    case dtype::u64:
      return py::dtype("<u8");
    case dtype::f16:
      return py::dtype("<f2");
    case dtype::f32:
      return py::dtype("<f4");
    case dtype::f64:
      return py::dtype("<f8");
    case dtype::complex64:
      return py::dtype("<c8");
    case dtype::complex128:
      return py::dtype("<c16");
  }
  return py::dtype("u1");
}

} // namespace

py::dtype numpy_dtype(dtype t) {
  // Made once: parsing a dtype string costs more than the rest of a field
  // access. Never freed (the interpreter may be gone when statics die).
  static auto* table = [] {
    auto* made = new std::vector<py::dtype>;
    for (uint8_t i = 0; i < dtype_count; ++i)
      made->push_back(make_numpy_dtype(static_cast<dtype>(i)));
    return made;
  }();
  return (*table)[static_cast<uint8_t>(t)];
}

dtype dtype_from_python(py::handle h) {
  if (py::isinstance<py::str>(h)) {
    auto text = h.cast<std::string>();
    if (auto t = parse_dtype(text))
      return *t;
  }
  py::dtype d;
  try {
    d = py::dtype::from_args(py::reinterpret_borrow<py::object>(h));
  } catch (const py::error_already_set&) {
    raise({errc::invalid_argument, "not a dtype: " + py::str(h).cast<std::string>()});
  }
  for (uint8_t i = 0; i < dtype_count; ++i) {
    auto t = static_cast<dtype>(i);
    if (t == dtype::bf16)
      continue;
    if (numpy_dtype(t).attr("__eq__")(d).cast<bool>())
      return t;
  }
  raise({errc::invalid_argument,
         "dtype " + py::str(d).cast<std::string>() + " has no dxhub equivalent"});
}

located_field locate_field(const frame_schema& schema, std::string_view name) {
  for (const auto& f : schema.fields) {
    if (f.name != name)
      continue;
    auto where = schema.locate(name);
    if (!where)
      raise(where.error());
    return {&f, where.value()};
  }
  std::string known;
  for (const auto& f : schema.fields)
    known += (known.empty() ? "" : ", ") + f.name;
  raise({errc::invalid_argument, "no field '" + std::string{name} + "' in schema " + schema.name
                                     + " (fields: " + known + ")"});
}

py::array field_array(const located_field& f, std::byte* bytes, py::handle base, bool writable) {
  std::vector<py::ssize_t> shape;
  for (auto extent : f.description->dims.extents())
    shape.push_back(static_cast<py::ssize_t>(extent));
  py::array a{numpy_dtype(f.description->type), shape, bytes + f.where.offset, base};
  if (!writable)
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

std::string describe(const field& f) {
  return std::string{name(f.type)} + " " + to_string(f.dims);
}

} // namespace dxhub::python
