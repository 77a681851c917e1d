#include "dxhub/transports/shm/channel_options.hpp"

namespace dxhub::shm {

const char* to_string(policy p) noexcept {
  switch (p) {
    case policy::reliable:
      return "reliable";
    case policy::newest:
      return "newest";
    default:
      return "latest";
  }
}

} // namespace dxhub::shm
