#pragma once

// The replayer actor: publishes the frames of a recording (actors/
// recording_reader.hpp) into channels, with the recorded schema and the
// recorded timing scaled by `rate` (or as fast as the channel takes them),
// so that an analysis actor runs on recorded data unchanged. Replayed frames
// carry a new publisher session, their recorded metadata, and
// `replay_of` = the recorded run's id and `replay_sequence` = the recorded
// sequence in their metadata.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/runtime/publisher_options.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dxhub::actors {

struct replayer_config {
  std::string name = "replayer";
  std::string service;
  std::string path;
  /// Recorded channels to replay (empty = all).
  std::vector<std::string> channels;
  /// Publishes recorded channel X as `rename[X]` (default: X itself).
  std::map<std::string, std::string> rename;
  /// Speed against the recorded timing; 0 = as fast as possible.
  double rate = 1.0;
  bool loop = false;
  /// Waits this long before the first frame (for subscribers to attach).
  std::chrono::milliseconds start_delay{0};
  /// Chunks of each channel's pool.
  uint32_t chunk_count = runtime::publisher_options{}.chunk_count;
};

/// Reads a replayer config from deployment parameters: `path`, `channels`,
/// `rename` ({recorded: published}), `rate` (number or "max"), `loop`,
/// `start_delay_ms`, `chunk_count`.
expected<replayer_config> replayer_config_from(const runtime::actor_args& args);

/// Spawns a replayer (on a thread of its own); it quits with an error when
/// the file does not open as a recording or lacks a channel asked for, and
/// emits "replay_done" on SERVICE/state when all frames went out.
caf::actor spawn_replayer(caf::actor_system& sys, replayer_config config);

} // namespace dxhub::actors
