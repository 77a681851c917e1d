// dxhub-bench-baselines: the floors of inter-process messaging on this
// machine, for 64 B, 4 KiB, 1 MiB and 8 MiB (see docs/benchmarks.md).

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/support/baseline_runs.hpp"
#include "dxhub/benchmarks/support/report.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace bl = dxhub::bench::baselines;
using dxhub::bench::add_latency;
using dxhub::bench::add_rate;
using dxhub::bench::report;

namespace {

struct settings {
  bool quick = false;
  bool results = false;
  int cpu_a = 0;
  int cpu_b = 1;
};

const std::vector<std::size_t> sizes = {64, 4096, std::size_t{1} << 20, std::size_t{8} << 20};

bl::latency_options latency_for(const settings& s, std::size_t bytes) {
  return dxhub::bench::baseline_latency(bytes, s.quick, s.cpu_a, s.cpu_b);
}

bl::throughput_options throughput_for(const settings& s, std::size_t bytes) {
  return dxhub::bench::baseline_throughput(bytes, s.quick, s.cpu_a, s.cpu_b);
}

void add_ratios(report& r) {
  auto ratio = [&](const char* name, double num, double den, const char* goal) {
    if (num > 0 && den > 0)
      r.add_ratio(name, num / den, goal);
  };
  ratio("unix_socket 8MiB GB/s / memcpy 8MiB GB/s",
        r.find("thr", "unix_socket", "block", "8MiB", "GBps"),
        r.find("thr", "memcpy", "block", "8MiB", "GBps"), "what a kernel copy costs");
  ratio("futex p50 / cacheline p50 (64B)", r.find("lat", "futex", "block", "64B", "p50"),
        r.find("lat", "cacheline", "spin", "64B", "p50"), "the price of sleeping");
  ratio("message_queue p50 / unix_socket p50 (64B)",
        r.find("lat", "message_queue", "block", "64B", "p50"),
        r.find("lat", "unix_socket", "block", "64B", "p50"), "");
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"dxhub-bench-baselines: cache-line and futex ping-pong floors, Unix socket and "
               "Boost.Interprocess message_queue latency and throughput, memcpy bandwidth; "
               "every figure between two processes pinned to different cores"};
  app.add_flag("--quick", s.quick, "fewer samples and shorter runs (a smoke run)");
  app.add_flag("--results", s.results, "also print tab-separated RESULT lines");
  app.add_option("--cpu-a", s.cpu_a, "core of the measuring process")->capture_default_str();
  app.add_option("--cpu-b", s.cpu_b, "core of the peer process")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  report r{"dxhub baselines (two processes, cores " + std::to_string(s.cpu_a) + " and "
           + std::to_string(s.cpu_b) + ")"};
  bool all_ok = true;
  // The floors do not depend on a payload: one cache line, one futex word.
  all_ok &= add_latency(r, "cacheline", "spin", 64, bl::try_cacheline_pingpong(latency_for(s, 64)));
  all_ok &= add_latency(r, "futex", "block", 64, bl::try_futex_pingpong(latency_for(s, 64)));
  for (auto bytes : sizes) {
    all_ok &= add_latency(r, "unix_socket", "block", bytes,
                          bl::try_unix_socket_latency(latency_for(s, bytes)));
    all_ok &= add_latency(r, "message_queue", "block", bytes,
                          bl::try_message_queue_latency(latency_for(s, bytes)));
  }
  for (auto bytes : sizes) {
    all_ok &= add_rate(r, "unix_socket", "block", bytes,
                       bl::try_unix_socket_throughput(throughput_for(s, bytes)));
    all_ok &= add_rate(r, "message_queue", "block", bytes,
                       bl::try_message_queue_throughput(throughput_for(s, bytes)));
    auto copy_time = std::chrono::milliseconds(s.quick ? 100 : 500);
    double bytes_per_s = bl::memcpy_bandwidth(bytes, copy_time);
    r.add_throughput("memcpy", "block", bytes, bytes_per_s / static_cast<double>(bytes));
  }
  add_ratios(r);
  r.print(s.results);
  if (!all_ok)
    std::fprintf(stderr, "some baselines failed (see above)\n");
  return all_ok ? 0 : 1;
}
