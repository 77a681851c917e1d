#include "dxhub/runtime/transport.hpp"

namespace dxhub::runtime {

std::string_view name(transport t) noexcept {
  switch (t) {
    case transport::automatic:
      return "automatic";
    case transport::in_process:
      return "in_process";
    case transport::shm:
      return "shm";
    case transport::zmq:
      return "zmq";
  }
  return "invalid";
}

std::string to_string(transport t) {
  return std::string{name(t)};
}

} // namespace dxhub::runtime
