#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dxhub::shm {

/// What a publish did when the frame went out, slow readers or not.
struct publish_outcome {
  /// The sequence of the (first) frame published.
  uint64_t sequence = 0;
  /// The `reliable` readers that made no room within their timeout and so
  /// miss the frame(s), each named (pid, row, timeout, frames missed); every
  /// other reader got them.
  std::vector<std::string> slow;
};

} // namespace dxhub::shm
