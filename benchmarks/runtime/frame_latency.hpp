#pragma once

// One-way frame latency between two processes on one host, through the
// actor layer (a publisher actor in a peer process, a subscriber actor here)
// and through the raw shm transport (publisher and blocking take), measured
// the same way: the publisher writes CLOCK_MONOTONIC into the first payload
// bytes just before it publishes, the receiving side subtracts it from its
// own clock when the frame is in its hands. Frames are spaced so that each
// one finds the reader asleep: latency, not queueing.

#include "dxhub/schemas/expected.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace dxhub::bench::runtime {

struct frame_run {
  std::size_t bytes = 64;
  std::size_t frames = 2000; ///< measured frames
  std::size_t warmup = 100;  ///< frames before them, not measured
  std::chrono::microseconds spacing{400};
  int peer_cpu = 1; ///< core of the publishing peer
};

/// One-way ns per frame, publisher actor -> subscriber actor over shm.
expected<std::vector<double>> actor_frame_latency(const frame_run& run);

/// One-way ns per frame, shm::publisher -> shm::subscriber::take (blocking).
expected<std::vector<double>> raw_shm_frame_latency(const frame_run& run);

/// The peer roles: "actor-publish" and "shm-publish", argv after the role:
/// CHANNEL BYTES COUNT SPACING_US CPU. Returns the process exit code.
int run_frame_peer(const std::string& role, const std::vector<std::string>& args);

} // namespace dxhub::bench::runtime
