#include "dxhub/benchmarks/support/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

namespace dxhub::bench {

percentiles summarize(std::vector<double>& samples) {
  percentiles p;
  p.count = samples.size();
  if (samples.empty())
    return p;
  std::sort(samples.begin(), samples.end());
  auto rank = [&](double q) {
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size()))) - 1;
    return samples[std::min(i, samples.size() - 1)];
  };
  p.p50 = rank(0.50);
  p.p99 = rank(0.99);
  p.p999 = rank(0.999);
  p.max = samples.back();
  p.mean =
      std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  return p;
}

std::string size_label(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
    return std::to_string(bytes >> 20) + "MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0)
    return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes) + "B";
}

bool pin_to_cpu(int cpu) {
  if (cpu < 0 || cpu >= cpu_count())
    return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

int cpu_count() {
  return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
}

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void report::add_latency(const std::string& bench, const std::string& variant, std::size_t bytes,
                         std::vector<double>& samples_ns) {
  auto p = summarize(samples_ns);
  auto size = size_label(bytes);
  add({"lat", bench, variant, size, "p50", p.p50 / 1e3, "us"});
  add({"lat", bench, variant, size, "p99", p.p99 / 1e3, "us"});
  add({"lat", bench, variant, size, "p999", p.p999 / 1e3, "us"});
  add({"lat", bench, variant, size, "max", p.max / 1e3, "us"});
}

void report::add_throughput(const std::string& bench, const std::string& variant, std::size_t bytes,
                            double msgs_per_s) {
  auto size = size_label(bytes);
  add({"thr", bench, variant, size, "msgs_per_s", msgs_per_s, "1/s"});
  if (bytes > 0)
    add({"thr", bench, variant, size, "GBps", msgs_per_s * static_cast<double>(bytes) / 1e9,
         "GB/s"});
}

double report::find(const std::string& section, const std::string& bench,
                    const std::string& variant, const std::string& size,
                    const std::string& metric) const {
  for (const auto& f : figures_)
    if (f.section == section && f.bench == bench && f.variant == variant && f.size == size
        && f.metric == metric)
      return f.value;
  return -1;
}

void report::add_ratio(const std::string& name, double value, const std::string& goal) {
  ratios_.push_back({name, value, goal});
}

void report::print(bool results) const {
  std::printf("\n== %s ==\n", title_.c_str());
  std::printf("%-4s %-22s %-10s %-7s %-11s %14s %s\n", "sec", "bench", "variant", "size", "metric",
              "value", "unit");
  for (const auto& f : figures_)
    std::printf("%-4s %-22s %-10s %-7s %-11s %14.3f %s\n", f.section.c_str(), f.bench.c_str(),
                f.variant.c_str(), f.size.c_str(), f.metric.c_str(), f.value, f.unit.c_str());
  if (!ratios_.empty()) {
    std::printf("\nratios:\n");
    for (const auto& r : ratios_)
      std::printf("  %-58s %10.3f  %s\n", r.name.c_str(), r.value, r.goal.c_str());
  }
  if (results) {
    for (const auto& f : figures_)
      std::printf("RESULT\t%s\t%s\t%s\t%s\t%s\t%.6g\t%s\n", f.section.c_str(), f.bench.c_str(),
                  f.variant.c_str(), f.size.c_str(), f.metric.c_str(), f.value, f.unit.c_str());
    for (const auto& r : ratios_)
      std::printf("RESULT\tratio\t%s\t-\t-\tratio\t%.6g\tx\n", r.name.c_str(), r.value);
  }
  std::fflush(stdout);
}

} // namespace dxhub::bench
