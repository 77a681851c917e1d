#pragma once

// What every program that measures the baselines (dxhub-bench-baselines,
// dxhub-bench-shm) does alike: the samples and durations per message size,
// and adding a figure or telling why there is none.

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/support/report.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <vector>

namespace dxhub::bench {

/// Samples per size: fewer for large messages, whose round trips take ms.
inline baselines::latency_options baseline_latency(std::size_t bytes, bool quick, int cpu_a,
                                                   int cpu_b) {
  baselines::latency_options o;
  o.bytes = bytes;
  o.cpu_a = cpu_a;
  o.cpu_b = cpu_b;
  bool large = bytes >= (std::size_t{1} << 20);
  bool huge = bytes >= (std::size_t{8} << 20);
  o.iterations = huge ? 300 : large ? 2000 : 20000;
  o.warmup = huge ? 20 : large ? 100 : 1000;
  if (quick) {
    o.iterations /= huge ? 6 : 10;
    o.warmup = std::max<std::size_t>(5, o.warmup / 10);
  }
  return o;
}

/// One second of messages (0.2 s quick).
inline baselines::throughput_options baseline_throughput(std::size_t bytes, bool quick, int cpu_a,
                                                         int cpu_b) {
  baselines::throughput_options o;
  o.bytes = bytes;
  o.cpu_a = cpu_a;
  o.cpu_b = cpu_b;
  o.duration = std::chrono::milliseconds(quick ? 200 : 1000);
  return o;
}

/// Hands the figure to `add`, or tells on stderr why there is none; false then.
template <class T, class Add>
bool add_figure(const char* bench, std::size_t bytes, expected<T>& figure, Add add) {
  if (!figure) {
    std::fprintf(stderr, "%s %s: %s\n", bench, size_label(bytes).c_str(),
                 figure.error().what().c_str());
    return false;
  }
  add(figure.value());
  return true;
}

inline bool add_latency(report& r, const char* bench, const char* variant, std::size_t bytes,
                        expected<std::vector<double>> samples) {
  return add_figure(bench, bytes, samples,
                    [&](std::vector<double>& v) { r.add_latency(bench, variant, bytes, v); });
}

inline bool add_rate(report& r, const char* bench, const char* variant, std::size_t bytes,
                     expected<double> rate) {
  return add_figure(bench, bytes, rate,
                    [&](double v) { r.add_throughput(bench, variant, bytes, v); });
}

} // namespace dxhub::bench
