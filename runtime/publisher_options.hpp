#pragma once

#include "dxhub/transports/shm/channel_options.hpp"

#include <cstdint>

namespace dxhub::runtime {

/// Options of a publisher; the defaults need no configuration.
struct publisher_options {
  /// Chunks in the channel's shared-memory pool (frames in flight at once).
  uint32_t chunk_count = shm::channel_options{}.chunk_count;
  /// Subscribers the channel can hold.
  uint32_t max_subscribers = shm::channel_options{}.max_subscribers;
  /// Segment permissions (owner only by default).
  uint32_t mode = 0600;
};

} // namespace dxhub::runtime
