#pragma once

// The shared-memory transport measured between two processes (the caller
// and forked children), the two sides pinned to different cores.

#include "dxhub/schemas/expected.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

namespace dxhub::bench::shm {

struct run_options {
  std::size_t bytes = 64;
  std::size_t iterations = 20000;
  std::size_t warmup = 1000;
  std::chrono::milliseconds duration{1000};
  bool busy_poll = true;
  std::size_t batch = 1; // frames per publish call (throughput)
  int cpu_a = 0, cpu_b = 1;
};

/// One-way ns (RTT/2) of a frame of `bytes` out and a 64 B frame back, the
/// payload untouched (zero copy); busy-poll or futex wake-ups per `busy_poll`.
expected<std::vector<double>> pingpong_latency(const run_options&);

/// A throughput run: the wall-clock rate, and what each frame cost the
/// publisher in CPU time (the rate a core of its own would reach, whatever
/// else the machine runs).
struct throughput_result {
  double frames_per_s = 0;
  double publisher_cpu_ns = 0;    // per frame
  double publisher_cpu_share = 0; // CPU time / wall time of the publisher (1 = it never waited)
};

/// Frames/s to one reliable subscriber; with `fill` the publisher writes the
/// whole payload of every frame (memcpy from a buffer), else only the header.
/// With `batch` > 1 it loans that many chunks and publishes them in one call.
expected<throughput_result> throughput(const run_options&, bool fill);

/// One-way ns from publish to take, measured on CLOCK_MONOTONIC by each of
/// `readers` blocking subscribers, frames spaced so that they do not queue.
expected<std::vector<double>> fanout_latency(const run_options&, int readers);

/// CPU seconds a subscriber blocked in take() burns over `duration`.
expected<double> idle_cpu_seconds(const run_options&);

} // namespace dxhub::bench::shm
