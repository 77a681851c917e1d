#pragma once

// The recorder actor: writes every frame of a channel, header included, to a
// recording file (format and reader: actors/recording.hpp). It subscribes
// `reliable`, so that it does not lose frames to a short stall of the disk.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace dxhub::actors {

struct recorder_config {
  std::string name = "recorder";
  std::string service;
  std::string channel;
  std::string path = "dxhub-recording.dxrec";
  /// Stops recording after this many frames (0 = no limit).
  uint64_t max_frames = 0;
  /// Frames the recorder may fall behind before the publisher waits.
  uint32_t queue_depth = 32;
};

expected<recorder_config> recorder_config_from(const runtime::actor_args& args);

caf::actor spawn_recorder(caf::actor_system& sys, recorder_config config);

} // namespace dxhub::actors
