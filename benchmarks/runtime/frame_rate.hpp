#pragma once

// Frame rate between two processes on one host through the actor layer: a
// publisher actor in a peer process publishes small frames back to back to a
// subscriber actor here, and the peer measures what each publish costs its
// own process in CPU. With a `reliable` subscriber every frame is delivered:
// the rate is what both ends sustain together, and the publisher's CPU
// includes waiting for room. With `latest` the publisher never waits: its
// CPU per frame is the cost of a publish alone. Where latency asks how soon one frame
// arrives, this asks how many arrive and what sending them costs.

#include "dxhub/runtime/policy.hpp"
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
  dxhub::runtime::policy policy = dxhub::runtime::policy::reliable;
};

struct rate_figures {
  double published_per_s = 0;       ///< the publisher's loop, frames per second
  double received_per_s = 0;        ///< first to last measured frame at the subscriber
  double delivered = 0;             ///< share of the measured frames the subscriber got
  double publish_thread_cpu_ns = 0; ///< CPU of the publishing thread per frame
  double publisher_cpu_ns = 0;      ///< CPU of the whole publishing process per frame
};

/// Publisher actor (peer process) -> subscriber actor of `run.policy` (here) over shm.
expected<rate_figures> actor_frame_rate(const rate_run& run);

/// The peer role "actor-flood", argv after the role: CHANNEL BYTES WARMUP
/// FRAMES CPU. Returns the process exit code.
int run_rate_peer(const std::vector<std::string>& args);

} // namespace dxhub::bench::runtime
