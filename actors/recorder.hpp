#pragma once

// The recorder actor: writes the frames of any number of channels, and the
// run's commands and events, into one HDF5 file (actors/recording.hpp; the
// layout is in docs/recording.md). Frames are copied out of their chunks as
// they arrive and written from the recorder's own thread, so the publisher
// never waits for the disk: with the default `latest` policy a recorder that
// falls behind by more than `backlog_bytes` loses frames (counted, and
// visible as sequence gaps in the file); with `reliable` the publisher waits
// for it instead (within its reliable timeout) and `get_state` reports the
// backlog.

#include "dxhub/actors/recording.hpp"
#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/runtime/policy.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dxhub::actors {

struct recorder_config {
  std::string name = "recorder";
  std::string service;
  /// The channels recorded (params.channels, else the deployment's subscribes).
  std::vector<std::string> channels;
  std::string path = "dxhub-recording.h5";
  /// Stops a channel after this many frames; the recording ends when every
  /// channel has them (0 = no limit).
  uint64_t max_frames = 0;
  runtime::policy policy = runtime::policy::latest;
  /// Frames the subscription may queue for the recorder.
  uint32_t queue_depth = 64;
  /// Bytes of frames waiting for the disk before frames are dropped
  /// (`latest`) or the publisher is made to wait (`reliable`).
  uint64_t backlog_bytes = uint64_t{256} << 20;
  /// Records the commands and events under `audit_prefix` ("" = all) too.
  bool audit = true;
  std::string audit_prefix;
  /// Units and compression per channel (key "" = every channel).
  std::map<std::string, channel_format> formats;
  /// Live reading starts when every channel had a frame, or after this.
  std::chrono::milliseconds live_after{2000};
};

/// Reads a recorder config from deployment parameters: `path`, `channels`,
/// `max_frames`, `policy`, `queue_depth`, `backlog_mib`, `audit`,
/// `audit_prefix`, `live_after_ms`, `units` ({field: unit} or
/// {channel: {field: unit}}), `deflate` (level, or {channel: level}).
expected<recorder_config> recorder_config_from(const runtime::actor_args& args);

/// Spawns a recorder (on a thread of its own). It creates its file when it
/// starts and quits with the error when it cannot; once running, write
/// failures (a full disk) are counted and reported, never fatal.
caf::actor spawn_recorder(caf::actor_system& sys, recorder_config config);

} // namespace dxhub::actors
