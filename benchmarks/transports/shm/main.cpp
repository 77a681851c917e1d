// dxhub-bench-shm: the shared-memory frame transport against the floors a
// user would otherwise build on, all in one run between two processes pinned
// to different cores (issue 3, acceptance 8).

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/support/baseline_runs.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/benchmarks/transports/shm/measurements.hpp"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace bl = dxhub::bench::baselines;
namespace sb = dxhub::bench::shm;
using dxhub::bench::add_latency;
using dxhub::bench::add_rate;
using dxhub::bench::report;

namespace {

struct settings {
  bool quick = false;
  bool results = false;
  bool no_baselines = false;
  int cpu_a = 0;
  int cpu_b = 1;
  int idle_seconds = 10;
  std::string parts = "lat,thr,fan,idle";
  std::string size_list = "64B,4KiB,1MiB,8MiB";
  bool has(const char* part) const { return parts.find(part) != std::string::npos; }
  bool wants(std::size_t bytes) const {
    return ("," + size_list + ",").find("," + dxhub::bench::size_label(bytes) + ",")
           != std::string::npos;
  }
};

const std::vector<std::size_t> sizes = {64, 4096, std::size_t{1} << 20, std::size_t{8} << 20};

sb::run_options latency_run(const settings& s, std::size_t bytes, bool busy) {
  sb::run_options o;
  o.bytes = bytes;
  o.busy_poll = busy;
  o.cpu_a = s.cpu_a;
  o.cpu_b = s.cpu_b;
  o.iterations = busy ? 50000 : 10000;
  o.warmup = 1000;
  if (s.quick) {
    o.iterations /= 10;
    o.warmup = 100;
  }
  return o;
}

sb::run_options throughput_run(const settings& s, std::size_t bytes) {
  sb::run_options o;
  o.bytes = bytes;
  o.busy_poll = true;
  o.cpu_a = s.cpu_a;
  o.cpu_b = s.cpu_b;
  o.duration = std::chrono::milliseconds(s.quick ? 200 : 1000);
  return o;
}

// Frames per publish call of the batched variant: a quarter of the pool
// (measurements.cpp: 64 chunks, queues of 32) for every size.
std::size_t batch_size(std::size_t) {
  return 16;
}

bl::latency_options baseline_latency(const settings& s, std::size_t bytes) {
  return dxhub::bench::baseline_latency(bytes, s.quick, s.cpu_a, s.cpu_b);
}

bl::throughput_options baseline_throughput(const settings& s, std::size_t bytes) {
  return dxhub::bench::baseline_throughput(bytes, s.quick, s.cpu_a, s.cpu_b);
}

// Segments of earlier runs that were killed (a benchmark suite out of time
// sends SIGKILL, which leaves no chance to clean up): "dxbench.<pid>." of a
// pid that no longer exists.
void remove_stale_segments() {
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator{"/dev/shm", ec}) {
    auto name = entry.path().filename().string();
    if (name.rfind("dxbench.", 0) != 0)
      continue;
    auto pid = std::atol(name.c_str() + 8);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      std::filesystem::remove(entry.path(), ec);
  }
}

bool note_failure(const char* what, std::size_t bytes, const dxhub::error& e) {
  std::fprintf(stderr, "%s %s: %s\n", what, dxhub::bench::size_label(bytes).c_str(),
               e.what().c_str());
  return false;
}

// The wall-clock rate, and the publisher's CPU time per frame next to it.
bool add_shm_rate(report& r, const char* bench, std::size_t bytes,
                  const dxhub::expected<sb::throughput_result>& result) {
  if (!result)
    return note_failure(bench, bytes, result.error());
  r.add_throughput(bench, "spin", bytes, result.value().frames_per_s);
  r.add({"thr", bench, "spin", dxhub::bench::size_label(bytes), "pub_cpu_ns_per_frame",
         result.value().publisher_cpu_ns, "ns"});
  // Below 1 the publisher was descheduled (a busy machine) or slept waiting for the reader.
  r.add({"thr", bench, "spin", dxhub::bench::size_label(bytes), "pub_cpu_share",
         result.value().publisher_cpu_share, "1"});
  return true;
}

bool measure_shm(report& r, const settings& s) {
  bool ok = true;
  for (auto bytes : sizes) {
    if (!s.has("lat"))
      break;
    if (!s.wants(bytes))
      continue;
    ok &= add_latency(r, "shm", "spin", bytes, sb::pingpong_latency(latency_run(s, bytes, true)));
    ok &= add_latency(r, "shm", "block", bytes, sb::pingpong_latency(latency_run(s, bytes, false)));
  }
  for (auto bytes : sizes) {
    if (!s.has("thr"))
      break;
    if (!s.wants(bytes))
      continue;
    ok &= add_shm_rate(r, "shm_zero_copy", bytes, sb::throughput(throughput_run(s, bytes), false));
    ok &= add_shm_rate(r, "shm_filled", bytes, sb::throughput(throughput_run(s, bytes), true));
    // The same frames published several at a time through publisher::publish(span<loan>).
    auto batched = throughput_run(s, bytes);
    batched.batch = batch_size(bytes);
    ok &= add_shm_rate(r, "shm_zero_copy_batch", bytes, sb::throughput(batched, false));
    r.add({"thr", "shm_zero_copy_batch", "spin", dxhub::bench::size_label(bytes), "frames_per_call",
           static_cast<double>(batched.batch), "1"});
  }
  auto fan = latency_run(s, 4096, false);
  fan.iterations = s.quick ? 300 : 3000;
  fan.warmup = 50;
  if (s.has("fan"))
    ok &= add_latency(r, "shm_fanout4", "block", 4096, sb::fanout_latency(fan, 4));
  if (!s.has("idle"))
    return ok;
  auto idle = latency_run(s, 64, false);
  idle.duration = std::chrono::seconds(s.quick ? 2 : s.idle_seconds);
  auto cpu = sb::idle_cpu_seconds(idle);
  if (cpu) {
    r.add({"thr", "shm_idle", "block", "64B", "cpu_pct",
           100.0 * cpu.value() / static_cast<double>(idle.duration.count()) * 1000.0, "%"});
    r.add({"thr", "shm_idle", "block", "64B", "cpu_ms", cpu.value() * 1000.0, "ms"});
  } else {
    ok = note_failure("shm_idle", 64, cpu.error());
  }
  return ok;
}

bool measure_baselines(report& r, const settings& s) {
  bool ok = true;
  ok &=
      add_latency(r, "cacheline", "spin", 64, bl::try_cacheline_pingpong(baseline_latency(s, 64)));
  ok &= add_latency(r, "futex", "block", 64, bl::try_futex_pingpong(baseline_latency(s, 64)));
  for (auto bytes : sizes) {
    if (!s.wants(bytes))
      continue;
    ok &= add_latency(r, "unix_socket", "block", bytes,
                      bl::try_unix_socket_latency(baseline_latency(s, bytes)));
    ok &= add_latency(r, "message_queue", "block", bytes,
                      bl::try_message_queue_latency(baseline_latency(s, bytes)));
    ok &= add_rate(r, "unix_socket", "block", bytes,
                   bl::try_unix_socket_throughput(baseline_throughput(s, bytes)));
    ok &= add_rate(r, "message_queue", "block", bytes,
                   bl::try_message_queue_throughput(baseline_throughput(s, bytes)));
    double bytes_per_s =
        bl::memcpy_bandwidth(bytes, std::chrono::milliseconds(s.quick ? 100 : 500));
    r.add_throughput("memcpy", "block", bytes, bytes_per_s / static_cast<double>(bytes));
  }
  return ok;
}

void add_ratios(report& r) {
  auto ratio = [&](const std::string& name, double num, double den, const char* goal) {
    if (num > 0 && den > 0)
      r.add_ratio(name, num / den, goal);
  };
  ratio("shm spin p50 / cacheline p50 (64B)", r.find("lat", "shm", "spin", "64B", "p50"),
        r.find("lat", "cacheline", "spin", "64B", "p50"), "goal <= 8");
  ratio("shm spin p99.9 in us (64B)", r.find("lat", "shm", "spin", "64B", "p999"), 1.0,
        "goal < 10");
  ratio("shm block p50 / futex p50 (64B)", r.find("lat", "shm", "block", "64B", "p50"),
        r.find("lat", "futex", "block", "64B", "p50"), "goal <= 1.2");
  ratio("shm zero-copy rate 8MiB / 64B",
        r.find("thr", "shm_zero_copy", "spin", "8MiB", "msgs_per_s"),
        r.find("thr", "shm_zero_copy", "spin", "64B", "msgs_per_s"), "goal >= 0.8");
  ratio("shm zero-copy rate 8MiB / unix_socket 8MiB",
        r.find("thr", "shm_zero_copy", "spin", "8MiB", "msgs_per_s"),
        r.find("thr", "unix_socket", "block", "8MiB", "msgs_per_s"), "goal >= 1000");
  ratio("shm zero-copy 64B frames/s in millions",
        r.find("thr", "shm_zero_copy", "spin", "64B", "msgs_per_s"), 1e6, "goal >= 2");
  ratio("shm zero-copy 64B frames/s in millions, 16 per publish call",
        r.find("thr", "shm_zero_copy_batch", "spin", "64B", "msgs_per_s"), 1e6, "goal >= 2");
  ratio("shm zero-copy batched rate 8MiB / 64B",
        r.find("thr", "shm_zero_copy_batch", "spin", "8MiB", "msgs_per_s"),
        r.find("thr", "shm_zero_copy_batch", "spin", "64B", "msgs_per_s"), "goal >= 0.8");
  for (auto bytes : sizes) {
    auto label = dxhub::bench::size_label(bytes);
    ratio("shm filled GB/s / memcpy GB/s (" + label + ")",
          r.find("thr", "shm_filled", "spin", label, "GBps"),
          r.find("thr", "memcpy", "block", label, "GBps"), "fraction of producing the bytes");
    ratio("shm block p50 / unix_socket p50 (" + label + ")",
          r.find("lat", "shm", "block", label, "p50"),
          r.find("lat", "unix_socket", "block", label, "p50"), "");
  }
  ratio("idle blocked subscriber CPU %", r.find("thr", "shm_idle", "block", "64B", "cpu_pct"), 1.0,
        "goal ~ 0");
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"dxhub-bench-shm: shared-memory frame transport latency (busy-poll and blocking), "
               "zero-copy and filled throughput, fan-out, idle CPU, and the baselines (Unix "
               "socket, message_queue, futex and cache-line ping-pong, memcpy) in the same run"};
  app.add_flag("--quick", s.quick, "fewer samples and shorter runs (a smoke run, < 30 s)");
  app.add_flag("--results", s.results, "also print tab-separated RESULT lines");
  app.add_flag("--no-baselines", s.no_baselines, "measure the shm transport only");
  app.add_option("--cpu-a", s.cpu_a, "core of the publishing process")->capture_default_str();
  app.add_option("--cpu-b", s.cpu_b, "core of the subscribing process")->capture_default_str();
  app.add_option("--parts", s.parts, "what to measure of the shm transport: lat,thr,fan,idle")
      ->capture_default_str();
  app.add_option("--sizes", s.size_list, "frame sizes to measure, of 64B,4KiB,1MiB,8MiB")
      ->capture_default_str();
  app.add_option("--idle-seconds", s.idle_seconds, "how long the idle-CPU check sleeps")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  // Segments of this run live under their own prefix unless the caller chose one.
  remove_stale_segments();
  setenv("DXHUB_SHM_PREFIX", ("dxbench." + std::to_string(getpid()) + ".").c_str(), 0);

  report r{"dxhub-bench-shm (two processes, cores " + std::to_string(s.cpu_a) + " and "
           + std::to_string(s.cpu_b) + ")"};
  bool ok = measure_shm(r, s);
  if (!s.no_baselines)
    ok &= measure_baselines(r, s);
  add_ratios(r);
  r.print(s.results);
  if (!ok)
    std::fprintf(stderr, "some measurements failed (see above)\n");
  return ok ? 0 : 1;
}
