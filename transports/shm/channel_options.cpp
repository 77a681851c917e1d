#include "dxhub/transports/shm/channel_options.hpp"

namespace dxhub::shm {

const char* to_string(policy p) noexcept {
  return p == policy::reliable ? "reliable" : "latest";
}

} // namespace dxhub::shm
