#include "dxhub/runtime/token.hpp"

#include <cstdio>
#include <random>

namespace dxhub::runtime {

std::string random_token() {
  std::random_device rd; // /dev/urandom (getrandom) on Linux
  char buf[33];
  (void)std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

} // namespace dxhub::runtime
