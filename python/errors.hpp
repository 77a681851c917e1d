#pragma once

// Errors cross into Python as exceptions named after the error vocabulary
// (`dxhub.errors.Timeout`, `PeerDown`, ...): C++ code of the module throws
// `python_error` and one translator turns it into the class of its code.

#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/expected.hpp"

#include <pybind11/pybind11.h>

#include <exception>
#include <string>
#include <utility>

namespace dxhub::python {

/// A dxhub error on its way to Python.
class python_error : public std::exception {
public:
  explicit python_error(error e) : error_(std::move(e)), what_(error_.what()) {}
  const dxhub::error& value() const noexcept { return error_; }
  const char* what() const noexcept override { return what_.c_str(); }

private:
  dxhub::error error_;
  std::string what_;
};

/// "PeerDown" for `peer_down`: the Python class name of a code.
std::string class_name(errc code);

/// Throws `e` as its Python exception class.
[[noreturn]] inline void raise(error e) {
  throw python_error{std::move(e)};
}

/// The value of `r`, or its error raised in Python.
template <class T>
T value_or_raise(expected<T> r) {
  if (!r)
    raise(r.error());
  if constexpr (!std::is_void_v<T>)
    return std::move(r).value();
}

/// Registers the translator and `_error_names` (the package builds its
/// `dxhub.errors` classes from it).
void bind_errors(pybind11::module_& m);

} // namespace dxhub::python
