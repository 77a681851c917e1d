#pragma once

// The round-trip loop shared by the latency baselines: warm-up rounds are
// run and dropped, each kept round trip becomes one one-way sample (RTT/2).

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/support/report.hpp"

#include <vector>

namespace dxhub::bench::baselines::detail {

/// Runs `round_trip(i)` for i in [0, warmup + iterations) and returns the
/// one-way ns of the last `iterations` rounds, or the first error.
template <class RoundTrip>
expected<std::vector<double>> one_way_samples(const latency_options& opts, RoundTrip round_trip) {
  std::vector<double> samples;
  samples.reserve(opts.iterations);
  const std::size_t total = opts.warmup + opts.iterations;
  for (std::size_t i = 0; i < total; ++i) {
    auto t0 = now_ns();
    DXHUB_TRYV(round_trip(i));
    auto t1 = now_ns();
    if (i >= opts.warmup)
      samples.push_back(static_cast<double>(t1 - t0) / 2.0);
  }
  return samples;
}

/// How long a child may take to finish after the parent's last round.
inline constexpr std::chrono::milliseconds join_timeout{5000};

} // namespace dxhub::bench::baselines::detail
