// dxhub-bench-zmq: request/reply round trips and pub/sub throughput through
// the dxhub ZeroMQ transport (envelope + io_loop), and the same measured in
// the same run with raw cppzmq, over ipc and tcp (issue 4, acceptance 7).

#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/benchmarks/transports/zmq/measurements.hpp"

#include <CLI/CLI.hpp>

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
      if (s.parts.find("lat") != std::string::npos) {
        auto envelope =
            bz::envelope_round_trips(latency_run(s, bytes, endpoint_for(transport, dir, counter)));
        auto raw =
            bz::raw_round_trips(latency_run(s, bytes, endpoint_for(transport, dir, counter)));
        if (!envelope.empty())
          out.add_latency("zmq_envelope_" + transport, "block", bytes, envelope);
        if (!raw.empty())
          out.add_latency("zmq_raw_" + transport, "block", bytes, raw);
      }
      if (s.parts.find("thr") != std::string::npos) {
        auto envelope = bz::envelope_pubsub_rate(
            throughput_run(s, bytes, endpoint_for(transport, dir, counter)));
        auto raw =
            bz::raw_pubsub_rate(throughput_run(s, bytes, endpoint_for(transport, dir, counter)));
        if (envelope > 0)
          out.add_throughput("zmq_envelope_" + transport, "block", bytes, envelope);
        if (raw > 0)
          out.add_throughput("zmq_raw_" + transport, "block", bytes, raw);
        // The same with a shared_ptr-owned payload (borrow_payload), for the record.
        if (bytes >= (std::size_t{1} << 20)) {
          auto owned = throughput_run(s, bytes, endpoint_for(transport, dir, counter));
          owned.shared_ownership = true;
          if (auto rate = bz::envelope_pubsub_rate(owned); rate > 0)
            out.add_throughput("zmq_envelope_shared_" + transport, "block", bytes, rate);
        }
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
  CLI11_PARSE(app, argc, argv);

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
