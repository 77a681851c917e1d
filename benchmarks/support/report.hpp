#pragma once

// What every dxhub benchmark program shares: latency percentiles, CPU
// pinning, size labels, and the report - a human table on stdout and, with
// `--results`, one machine-readable line per figure:
//
//   RESULT<TAB>section<TAB>bench<TAB>variant<TAB>size<TAB>metric<TAB>value<TAB>unit
//
// (section `lat` or `thr`; sizes like 64B, 4KiB, 1MiB, 8MiB), so that runs of
// different programs and machines can be merged by a script.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dxhub::bench {

/// Percentiles of a set of latency samples, in the samples' unit.
struct percentiles {
  std::size_t count = 0;
  double p50 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
  double mean = 0;
};

/// Sorts `samples` in place and reads its percentiles (nearest rank).
percentiles summarize(std::vector<double>& samples);

/// "64B", "4KiB", "1MiB", "8MiB".
std::string size_label(std::size_t bytes);

/// Pins the calling thread to `cpu`; returns false when the machine has no such CPU.
bool pin_to_cpu(int cpu);

/// The number of online CPUs.
int cpu_count();

/// CLOCK_MONOTONIC in ns.
int64_t now_ns();

/// One measured figure.
struct figure {
  std::string section; // "lat" or "thr"
  std::string bench;   // e.g. "shm", "unix_socket", "zmq_envelope"
  std::string variant; // e.g. "spin", "block", "ipc", "tcp"
  std::string size;    // e.g. "64B"
  std::string metric;  // e.g. "p50", "msgs_per_s", "GBps"
  double value = 0;
  std::string unit; // e.g. "us", "1/s", "GB/s"
};

/// Collects figures; prints them as a table and, if asked, as RESULT lines.
class report {
public:
  explicit report(std::string title) : title_(std::move(title)) {}

  void add(figure f) { figures_.push_back(std::move(f)); }

  /// Adds p50/p99/p999/max of `samples_ns`, reported in microseconds.
  void add_latency(const std::string& bench, const std::string& variant, std::size_t bytes,
                   std::vector<double>& samples_ns);

  /// Adds a throughput in messages per second and, when `bytes` > 0, in GB/s.
  void add_throughput(const std::string& bench, const std::string& variant, std::size_t bytes,
                      double msgs_per_s);

  /// The value of a figure already added, or a negative number if missing.
  double find(const std::string& section, const std::string& bench, const std::string& variant,
              const std::string& size, const std::string& metric) const;

  /// Adds a ratio line to the table (and a RESULT line with section "ratio").
  void add_ratio(const std::string& name, double value, const std::string& goal = "");

  /// Prints the table to stdout, and the RESULT lines too when `results`.
  void print(bool results) const;

  const std::vector<figure>& figures() const noexcept { return figures_; }

private:
  struct ratio {
    std::string name;
    double value;
    std::string goal;
  };
  std::string title_;
  std::vector<figure> figures_;
  std::vector<ratio> ratios_;
};

} // namespace dxhub::bench
