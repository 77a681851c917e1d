// dxhub-bench-zmq: request/reply round trips and pub/sub throughput through
// the dxhub ZeroMQ transport (envelope + io_loop), and the same measured in
// the same run with raw cppzmq, over ipc and tcp (issue 4, acceptance 7).

#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/benchmarks/transports/zmq/fresh_process.hpp"
#include "dxhub/benchmarks/transports/zmq/measurements.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace bz = dxhub::bench::zmq;
using dxhub::bench::report;
using dxhub::bench::size_label;

namespace {

struct settings {
  bool quick = false;
  bool results = false;
  std::string parts = "lat,thr";
  std::string transports = "ipc,tcp";
  std::string size_list = "64B,4KiB,1MiB,8MiB";
  int repeats = 0; // 0: 3, or 1 with --quick
  bool default_malloc = false;
  bz::malloc_mode malloc_setting() const {
    return default_malloc ? bz::malloc_mode::glibc_default : bz::malloc_mode::steady;
  }
  bool wants(std::size_t bytes) const {
    return ("," + size_list + ",").find("," + size_label(bytes) + ",") != std::string::npos;
  }
};

const std::vector<std::size_t> sizes = {64, 4096, std::size_t{1} << 20, std::size_t{8} << 20};

bz::run_options latency_run(const settings& s, std::size_t bytes, const std::string& endpoint) {
  bz::run_options o;
  o.endpoint = endpoint;
  o.bytes = bytes;
  bool huge = bytes >= (std::size_t{8} << 20);
  bool large = bytes >= (std::size_t{1} << 20);
  o.iterations = huge ? 200 : large ? 1000 : 10000;
  o.warmup = huge ? 10 : large ? 50 : 500;
  if (s.quick) {
    o.iterations = huge ? 30 : large ? 100 : 1000;
    o.warmup = huge ? 3 : 10;
  }
  return o;
}

bz::run_options throughput_run(const settings& s, std::size_t bytes, const std::string& endpoint) {
  auto o = latency_run(s, bytes, endpoint);
  // Warm-up plus measured messages stay below the high-water mark (100000):
  // a starved reader must never make PUB drop, or the run waits for
  // messages that will not come.
  o.iterations *= bytes <= 4096 ? 5 : 2;
  return o;
}

void append(std::vector<double>& all, const std::vector<double>& more) {
  all.insert(all.end(), more.begin(), more.end());
}

// The median of the runs' rates; failed runs (rate 0) do not count.
double median_rate(std::vector<double> rates) {
  std::erase_if(rates, [](double r) { return !(r > 0); });
  if (rates.empty())
    return 0;
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

/// A fresh endpoint per measurement: ipc under a private directory, tcp on an
/// ephemeral loopback port.
std::string endpoint_for(const std::string& transport, const std::string& dir, int& counter) {
  if (transport == "tcp")
    return "tcp://127.0.0.1:0";
  return "ipc://" + dir + "/bench-" + std::to_string(counter++);
}

void measure(const settings& s, report& out, const std::string& dir) {
  int counter = 0;
  for (const std::string transport : {"ipc", "tcp"}) {
    if (s.transports.find(transport) == std::string::npos)
      continue;
    for (auto bytes : sizes) {
      if (!s.wants(bytes))
        continue;
      if (s.parts.find("lat") != std::string::npos) {
        // Envelope and raw take turns, each run in a fresh process; the
        // samples of all runs are pooled.
        std::vector<double> envelope, blocking, raw;
        for (int r = 0; r < s.repeats; ++r) {
          auto env_run = latency_run(s, bytes, endpoint_for(transport, dir, counter));
          auto blocking_run = latency_run(s, bytes, endpoint_for(transport, dir, counter));
          auto raw_run = latency_run(s, bytes, endpoint_for(transport, dir, counter));
          append(blocking, bz::in_fresh_process(
                               [&] { return bz::envelope_blocking_round_trips(blocking_run); },
                               s.malloc_setting()));
          append(envelope, bz::in_fresh_process([&] { return bz::envelope_round_trips(env_run); },
                                                s.malloc_setting()));
          append(raw, bz::in_fresh_process([&] { return bz::raw_round_trips(raw_run); },
                                           s.malloc_setting()));
        }
        if (!envelope.empty())
          out.add_latency("zmq_envelope_" + transport, "block", bytes, envelope);
        if (!blocking.empty())
          out.add_latency("zmq_envelope_blocking_" + transport, "block", bytes, blocking);
        if (!raw.empty())
          out.add_latency("zmq_raw_" + transport, "block", bytes, raw);
      }
      if (s.parts.find("thr") != std::string::npos) {
        // Turns and fresh processes as above; the median rate of the runs.
        std::vector<double> envelope, raw, shared;
        for (int r = 0; r < s.repeats; ++r) {
          auto env_run = throughput_run(s, bytes, endpoint_for(transport, dir, counter));
          auto raw_run = throughput_run(s, bytes, endpoint_for(transport, dir, counter));
          append(envelope,
                 bz::in_fresh_process(
                     [&] { return std::vector<double>{bz::envelope_pubsub_rate(env_run)}; },
                     s.malloc_setting()));
          append(raw, bz::in_fresh_process(
                          [&] { return std::vector<double>{bz::raw_pubsub_rate(raw_run)}; },
                          s.malloc_setting()));
          // The envelope with a shared_ptr-owned payload (borrow_payload), for the record.
          if (bytes >= (std::size_t{1} << 20)) {
            auto owned = throughput_run(s, bytes, endpoint_for(transport, dir, counter));
            owned.shared_ownership = true;
            append(shared, bz::in_fresh_process(
                               [&] { return std::vector<double>{bz::envelope_pubsub_rate(owned)}; },
                               s.malloc_setting()));
          }
        }
        auto show = [](const char* what, const std::vector<double>& rates) {
          std::string line;
          for (auto r : rates)
            line += " " + std::to_string(static_cast<long>(r));
          std::fprintf(stderr, "    %s runs (msgs/s):%s\n", what, line.c_str());
        };
        show("envelope", envelope);
        show("raw", raw);
        if (auto rate = median_rate(envelope); rate > 0)
          out.add_throughput("zmq_envelope_" + transport, "block", bytes, rate);
        if (auto rate = median_rate(raw); rate > 0)
          out.add_throughput("zmq_raw_" + transport, "block", bytes, rate);
        if (auto rate = median_rate(shared); rate > 0)
          out.add_throughput("zmq_envelope_shared_" + transport, "block", bytes, rate);
      }
      std::fprintf(stderr, "  %s %s done\n", transport.c_str(), size_label(bytes).c_str());
    }
  }
}

// Envelope overhead: envelope p50 / raw p50 (latency) and raw rate /
// envelope rate (throughput); 1.0 means no overhead. Goal: within 1.2x from 1 MiB.
void add_ratios(const settings& s, report& out) {
  for (const std::string transport : {"ipc", "tcp"})
    for (auto bytes : sizes) {
      auto label = size_label(bytes);
      auto goal = bytes >= (std::size_t{1} << 20) ? "<= 1.2" : "";
      auto env_p50 = out.find("lat", "zmq_envelope_" + transport, "block", label, "p50");
      auto raw_p50 = out.find("lat", "zmq_raw_" + transport, "block", label, "p50");
      if (env_p50 > 0 && raw_p50 > 0)
        out.add_ratio("envelope/raw rtt p50 " + transport + " " + label, env_p50 / raw_p50, goal);
      auto blocking_p50 =
          out.find("lat", "zmq_envelope_blocking_" + transport, "block", label, "p50");
      if (blocking_p50 > 0 && raw_p50 > 0)
        out.add_ratio("envelope (blocking_client)/raw rtt p50 " + transport + " " + label,
                      blocking_p50 / raw_p50, goal);
      auto env_rate = out.find("thr", "zmq_envelope_" + transport, "block", label, "msgs_per_s");
      auto raw_rate = out.find("thr", "zmq_raw_" + transport, "block", label, "msgs_per_s");
      if (env_rate > 0 && raw_rate > 0)
        out.add_ratio("raw/envelope pub-sub rate " + transport + " " + label, raw_rate / env_rate,
                      goal);
    }
  (void)s;
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"dxhub-bench-zmq: the ZeroMQ transport against raw cppzmq"};
  app.add_flag("--quick", s.quick, "fewer iterations (about 30 s)");
  app.add_flag("--results", s.results, "also print RESULT lines");
  app.add_option("--parts", s.parts, "lat,thr");
  app.add_option("--transports", s.transports, "ipc,tcp");
  app.add_option("--sizes", s.size_list, "frame sizes to measure, of 64B,4KiB,1MiB,8MiB")
      ->capture_default_str();
  app.add_flag("--default-malloc", s.default_malloc,
               "leave glibc's malloc thresholds as they are (see fresh_process.hpp)");
  app.add_option("--repeats", s.repeats,
                 "runs per figure, envelope and raw taking turns (default 3, 1 with --quick)")
      ->check(CLI::Range(1, 20));
  CLI11_PARSE(app, argc, argv);
  if (s.repeats == 0)
    s.repeats = s.quick ? 1 : 3;

  std::string dir = "/tmp/dxhub-bench-zmq-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  report out{"dxhub-bench-zmq: envelope vs raw cppzmq, request/reply RTT and pub/sub throughput"};
  measure(s, out, dir);
  add_ratios(s, out);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  out.print(s.results);
  return 0;
}
