#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/shape.hpp"

#include <cstdint>
#include <string>

namespace dxhub {

/// One named, typed array of a frame, e.g. "image": u16 [480, 640].
struct field {
  static constexpr const char* schema_name = "dxhub.field";
  static constexpr uint32_t schema_version = 1;

  std::string name;
  dtype type = dtype::u8;
  shape dims;

  /// Bytes of the field's data; fails on arithmetic overflow of untrusted shapes.
  expected<uint64_t> size_bytes() const;

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("name", x.name), named("type", x.type), named("dims", x.dims));
  }

  friend bool operator==(const field&, const field&) = default;
};

} // namespace dxhub
