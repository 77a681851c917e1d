#pragma once

// The argument and result of the test stage's `move` command, shared by the
// test process and the peer processes that serve it.

#include "dxhub/schemas/describe.hpp"

#include <cstdint>

namespace dxhub::test {

struct position {
  static constexpr const char* schema_name = "test.position";
  static constexpr uint32_t schema_version = 1;
  double x = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& p, F&& f) {
    return f(named("x", p.x));
  }
};

} // namespace dxhub::test
