#pragma once

// Frame rate between two processes on one host through the actor layer: a
// publisher actor in a peer process publishes small frames back to back to a
// `reliable` subscriber actor here (every frame delivered, so the rate is
// what both ends sustain together), and the peer measures what each publish
// costs its own process in CPU. Where latency asks how soon one frame
// arrives, this asks how many arrive and what sending them costs.

#include "dxhub/schemas/expected.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace dxhub::bench::runtime {

struct rate_run {
  std::size_t bytes = 64;
  std::size_t frames = 100000; ///< measured frames
  std::size_t warmup = 2000;   ///< frames before them, not measured
  int peer_cpu = 1;            ///< core of the publishing peer
};

struct rate_figures {
  double published_per_s = 0;       ///< the publisher's loop, frames per second
  double received_per_s = 0;        ///< first to last measured frame at the subscriber
  double publish_thread_cpu_ns = 0; ///< CPU of the publishing thread per frame
  double publisher_cpu_ns = 0;      ///< CPU of the whole publishing process per frame
};

/// Publisher actor (peer process) -> reliable subscriber actor (here) over shm.
expected<rate_figures> actor_frame_rate(const rate_run& run);

/// The peer role "actor-flood", argv after the role: CHANNEL BYTES WARMUP
/// FRAMES CPU. Returns the process exit code.
int run_rate_peer(const std::vector<std::string>& args);

} // namespace dxhub::bench::runtime
