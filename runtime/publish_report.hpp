#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dxhub::runtime {

/// What a publish did.
struct publish_report {
  uint64_t sequence = 0;
  /// Subscribers in this process that were handed the frame.
  uint32_t local_subscribers = 0;
  /// `reliable` subscribers that did not keep up within their timeout: they
  /// miss this frame, every other subscriber got it (a report, not an error).
  std::vector<std::string> slow;
};

} // namespace dxhub::runtime
