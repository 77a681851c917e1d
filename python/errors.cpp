#include "errors.hpp"

#include <cctype>

namespace py = pybind11;

namespace dxhub::python {

std::string class_name(errc code) {
  std::string out;
  bool upper = true;
  for (char c : name(code)) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

void bind_errors(py::module_& m) {
  m.def(
      "_error_names",
      [] {
        py::list out;
        for (uint8_t i = 1; i < errc_count; ++i) {
          auto code = static_cast<errc>(i);
          if (name(code).starts_with("reserved_"))
            continue; // a placeholder that nothing raises: no exception class
          out.append(py::make_tuple(std::string{name(code)}, class_name(code),
                                    std::string{message(code)}));
        }
        return out;
      },
      "(name, class name, message) of every error code.");
  // The classes are made by dxhub/errors.py; they are looked up at raise time
  // so that the package may be imported in any order.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const python_error& e) {
      py::gil_scoped_acquire gil;
      auto errors = py::module_::import("dxhub.errors");
      auto cls = errors.attr("class_of")(std::string{name(e.value().code)});
      auto exc = cls(e.value().what());
      exc.attr("code") = std::string{name(e.value().code)};
      exc.attr("context") = e.value().context;
      PyErr_SetObject(cls.ptr(), exc.ptr());
    }
  });
}

} // namespace dxhub::python
