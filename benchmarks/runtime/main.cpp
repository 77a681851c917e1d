// dxhub-bench-runtime: what the actor layer costs over the raw transports,
// measured in one run between two processes pinned to different cores
// (issue 5, acceptance 8):
//   - one-way frame latency, publisher actor -> subscriber actor in another
//     process over shared memory, next to shm::publisher -> blocking take;
//   - request round trip, actor `call` to a service in another process found
//     through the registry, next to raw cppzmq DEALER -> ROUTER echo;
//   - 64 B frame rate, publisher actor -> reliable and latest subscriber
//     actors in another process, and the publisher's CPU per published frame;
//   - 64 B commands to a node in another process while another client's
//     50 MiB request is in flight, next to the same without it (issue 20).
// Run as `dxhub-bench-runtime peer ROLE ...` it is the other process.

#include "dxhub/benchmarks/runtime/frame_latency.hpp"
#include "dxhub/benchmarks/runtime/frame_rate.hpp"
#include "dxhub/benchmarks/runtime/request_latency.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace br = dxhub::bench::runtime;
using dxhub::bench::report;
using dxhub::bench::size_label;

namespace {

struct settings {
  bool quick = false;
  bool results = false;
  int cpu_a = 0;
  int cpu_b = 1;
  std::string parts = "frames,calls,rate,large";
  bool has(const char* part) const { return parts.find(part) != std::string::npos; }
};

const std::vector<std::size_t> frame_sizes = {64, std::size_t{1} << 20};
const std::vector<std::size_t> call_sizes = {64, 4096};

br::frame_run frame_run_for(const settings& s, std::size_t bytes) {
  br::frame_run run;
  run.bytes = bytes;
  run.frames = s.quick ? 500 : 5000;
  run.warmup = s.quick ? 50 : 200;
  run.peer_cpu = s.cpu_b;
  return run;
}

br::call_run call_run_for(const settings& s, std::size_t bytes, const std::string& dir) {
  br::call_run run;
  run.bytes = bytes;
  run.calls = s.quick ? 500 : 5000;
  run.warmup = s.quick ? 50 : 200;
  run.peer_cpu = s.cpu_b;
  run.dir = dir;
  return run;
}

bool add(report& r, const char* bench, std::size_t bytes,
         dxhub::expected<std::vector<double>> samples) {
  if (!samples) {
    std::fprintf(stderr, "%s %s: %s\n", bench, size_label(bytes).c_str(),
                 samples.error().what().c_str());
    return false;
  }
  r.add_latency(bench, "block", bytes, samples.value());
  std::fprintf(stderr, "  %s %s done\n", bench, size_label(bytes).c_str());
  return true;
}

bool measure_frames(report& r, const settings& s) {
  bool ok = true;
  for (auto bytes : frame_sizes) {
    ok &= add(r, "raw_shm", bytes, br::raw_shm_frame_latency(frame_run_for(s, bytes)));
    ok &= add(r, "actor_shm", bytes, br::actor_frame_latency(frame_run_for(s, bytes)));
  }
  return ok;
}

bool measure_rate(report& r, const settings& s) {
  bool ok = true;
  for (auto policy : {dxhub::runtime::policy::reliable, dxhub::runtime::policy::latest}) {
    br::rate_run run;
    run.frames = s.quick ? 20000 : 200000;
    run.warmup = s.quick ? 1000 : 5000;
    run.peer_cpu = s.cpu_b;
    run.policy = policy;
    auto variant = dxhub::runtime::to_string(policy);
    auto got = br::actor_frame_rate(run);
    if (!got) {
      std::fprintf(stderr, "frame rate %s: %s\n", variant.c_str(), got.error().what().c_str());
      ok = false;
      continue;
    }
    auto size = size_label(run.bytes);
    auto add_figure = [&](const char* metric, double value, const char* unit) {
      r.add({"thr", "actor_shm", variant, size, metric, value, unit});
    };
    add_figure("rate_published", got.value().published_per_s, "1/s");
    add_figure("rate_received", got.value().received_per_s, "1/s");
    add_figure("delivered", got.value().delivered, "share");
    add_figure("cpu_publish_thread", got.value().publish_thread_cpu_ns, "ns/frame");
    add_figure("cpu_publisher", got.value().publisher_cpu_ns, "ns/frame");
    std::fprintf(stderr, "  actor_shm rate %s %s done\n", variant.c_str(), size.c_str());
  }
  return ok;
}

bool measure_calls(report& r, const settings& s, const std::string& dir) {
  bool ok = true;
  for (auto bytes : call_sizes) {
    auto samples = br::call_round_trips(call_run_for(s, bytes, dir));
    if (!samples) {
      std::fprintf(stderr, "calls %s: %s\n", size_label(bytes).c_str(),
                   samples.error().what().c_str());
      ok = false;
      continue;
    }
    ok &= add(r, "raw_cppzmq_ipc", bytes, std::move(samples.value().raw));
    ok &= add(r, "actor_call_ipc", bytes, std::move(samples.value().actor));
  }
  return ok;
}

bool measure_large(report& r, const settings& s, const std::string& dir) {
  br::large_run run;
  run.calls = s.quick ? 300 : 2000;
  run.warmup = s.quick ? 30 : 100;
  run.large = s.quick ? 2 : 6;
  run.peer_cpu = s.cpu_b;
  run.dir = dir;
  auto got = br::calls_during_large_requests(run);
  if (!got) {
    std::fprintf(stderr, "calls during large requests: %s\n", got.error().what().c_str());
    return false;
  }
  auto& samples = got.value();
  if (samples.during.empty()) {
    std::fprintf(stderr, "calls during large requests: no small call fell inside one\n");
    return false;
  }
  auto large = size_label(run.large_bytes);
  r.add_latency("small_call_ipc", "idle", run.small_bytes, samples.idle);
  r.add_latency("small_call_ipc", "during_" + large, run.small_bytes, samples.during);
  r.add_latency("large_call_ipc", "block", run.large_bytes, samples.large);
  auto size = size_label(run.small_bytes);
  auto during_p99 = r.find("lat", "small_call_ipc", "during_" + large, size, "p99");
  auto idle_p99 = r.find("lat", "small_call_ipc", "idle", size, "p99");
  if (during_p99 > 0 && idle_p99 > 0) {
    char goal[96];
    std::snprintf(goal, sizeof goal, "goal: p99 during <= 10 ms (it is %.2f ms)",
                  during_p99 / 1000.0);
    r.add_ratio("64B call during a " + large + " request/idle p99", during_p99 / idle_p99, goal);
  }
  std::fprintf(stderr, "  small calls during %s requests done (%zu samples during)\n",
               large.c_str(), samples.during.size());
  return true;
}

void add_ratios(report& r) {
  auto ratio = [&](const std::string& name, const char* num, const char* den,
                   const std::string& size, const char* metric, const char* goal) {
    auto n = r.find("lat", num, "block", size, metric);
    auto d = r.find("lat", den, "block", size, metric);
    if (n > 0 && d > 0)
      r.add_ratio(name + " " + metric + " (" + size + ")", n / d, goal);
  };
  for (auto bytes : frame_sizes) {
    auto size = size_label(bytes);
    ratio("actor/raw shm one-way", "actor_shm", "raw_shm", size, "p50", "goal <= 2");
    ratio("actor/raw shm one-way", "actor_shm", "raw_shm", size, "p99", "");
  }
  for (auto bytes : call_sizes) {
    auto size = size_label(bytes);
    ratio("actor call/raw cppzmq rtt", "actor_call_ipc", "raw_cppzmq_ipc", size, "p50",
          "goal <= 2");
    ratio("actor call/raw cppzmq rtt", "actor_call_ipc", "raw_cppzmq_ipc", size, "p99", "");
  }
}

int run_peer(int argc, char** argv) {
  std::string role = argc > 2 ? argv[2] : "";
  std::vector<std::string> args(argv + std::min(argc, 3), argv + argc);
  if (role == "actor-publish" || role == "shm-publish")
    return br::run_frame_peer(role, args);
  if (role == "actor-flood")
    return br::run_rate_peer(args);
  return br::run_call_peer(role, args);
}

/// A private folder for the ipc sockets of this run, removed at the end.
struct socket_dir {
  std::string path = "/tmp/dxhub-bench-runtime-XXXXXX";
  bool made = ::mkdtemp(path.data()) != nullptr;
  ~socket_dir() {
    std::error_code ignored;
    if (made)
      std::filesystem::remove_all(path, ignored);
  }
};

} // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string{argv[1]} == "peer")
    return run_peer(argc, argv);
  settings s;
  CLI::App app{"dxhub-bench-runtime: the actor layer against the raw transports in the same run "
               "- one-way frame latency publisher actor -> subscriber actor in another process "
               "(shared memory) vs raw shm, request round trips actor call -> service in "
               "another process (through the registry) vs raw cppzmq, and the 64 B frame rate "
               "actor -> reliable and latest actors with the publisher's CPU per frame, and 64 B "
               "commands to a node while a 50 MiB request is in flight"};
  app.add_flag("--quick", s.quick, "fewer samples (a smoke run, < 20 s)");
  app.add_flag("--results", s.results, "also print tab-separated RESULT lines");
  app.add_option("--cpu-a", s.cpu_a, "core of this process (subscriber, caller)")
      ->capture_default_str();
  app.add_option("--cpu-b", s.cpu_b, "core of the peer process (publisher, service)")
      ->capture_default_str();
  app.add_option("--parts", s.parts, "what to measure: frames,calls,rate,large")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  // Segments of this run live under their own prefix (peers inherit it).
  setenv("DXHUB_SHM_PREFIX", ("dxbench-rt." + std::to_string(getpid()) + ".").c_str(), 0);
  // Before any thread starts: the actor systems' threads inherit the core.
  dxhub::bench::pin_to_cpu(s.cpu_a);
  socket_dir dir;
  if (!dir.made) {
    std::perror("mkdtemp");
    return 1;
  }

  report r{"dxhub-bench-runtime: actor layer vs raw transports (two processes, cores "
           + std::to_string(s.cpu_a) + " and " + std::to_string(s.cpu_b) + ")"};
  bool ok = true;
  if (s.has("frames"))
    ok &= measure_frames(r, s);
  if (s.has("calls"))
    ok &= measure_calls(r, s, dir.path);
  if (s.has("rate"))
    ok &= measure_rate(r, s);
  if (s.has("large"))
    ok &= measure_large(r, s, dir.path);
  add_ratios(r);
  for (const auto& channel : dxhub::shm::list_channels())
    (void)dxhub::shm::remove_channel(channel);
  r.print(s.results);
  if (!ok)
    std::fprintf(stderr, "some measurements failed (see above)\n");
  return ok ? 0 : 1;
}
