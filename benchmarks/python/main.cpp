// dxhub-bench-python: the Python face next to C++ on the same paths, in one
// run. One publisher (this process) feeds a C++ subscriber process and a
// Python subscriber process in turn (the runtime's `reliable` policy: the
// publisher waits for the reader, so the rate is the reader's); one C++
// service (this process, behind a registry) answers a C++ caller process and
// a Python caller process in turn. Both sides subscribe and call through the
// same runtime API; the Python side adds the module's own cost.
//
//   dxhub-bench-python [--quick] [--results] [--python P] [--script S]
//
// RESULT rows: thr {cpp,python}_sub block {4KiB,8MiB} msgs_per_s/GBps,
// lat {cpp,python}_sub block 4KiB p50..max (publish to receive, one way),
// lat {cpp,python}_call block 64B p50..max (round trip), and the ratios.

#include "dxhub/apps/registry_host.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/launch/child_process.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include "roles.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace dxhub::bench::python {

namespace {

/// A child process whose stdout is read once it has ended.
struct child {
  launch::child_process process;
  int out = -1;

  static std::optional<child> start(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return std::nullopt;
    launch::process_options options;
    options.program = args.at(0);
    options.search_path = true; // the interpreter is named, as on a command line
    options.args.assign(args.begin() + 1, args.end());
    options.heartbeat = false;
    options.stdout_fd = fds[1];
    auto started = launch::child_process::start(options);
    ::close(fds[1]);
    if (!started) {
      ::close(fds[0]);
      return std::nullopt;
    }
    return child{std::move(started).value(), fds[0]};
  }

  bool running() { return process.running() && !process.try_reap(); }

  /// Waits (bounded: killed after `limit`) and returns what it printed.
  std::string finish(std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        process.kill_and_reap();
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out, buf, sizeof buf)) > 0)
      text.append(buf, static_cast<std::size_t>(n));
    ::close(out);
    return text;
  }
};

/// The numbers after `key` on the line of the child's output that starts with it.
std::vector<double> numbers_after(const std::string& text, const std::string& key) {
  std::istringstream lines{text};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + " ", 0) != 0)
      continue;
    std::istringstream in{line.substr(key.size())};
    std::vector<double> out;
    double v;
    while (in >> v)
      out.push_back(v);
    return out;
  }
  return {};
}

struct setup {
  bool quick = false;
  std::string python = "/usr/bin/python3";
  std::string script;
  std::string self;
};

/// Publishes frames of `bytes` until `reader` ends: flat out, or one every
/// `pace` (latency). Only the frame index is written: the figure is the
/// transport's and the reader's, not a memset's.
void feed(runtime::publisher& pub, child& reader, std::chrono::microseconds pace) {
  uint64_t index = 0;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    if ((index & 15) == 0 && !reader.running())
      return;
    auto f = pub.loan();
    if (!f) {
      std::this_thread::sleep_for(100us);
      continue;
    }
    std::memcpy(f.value().payload().data(), &index, sizeof index);
    (void)pub.publish(std::move(f).value());
    ++index;
    if (pace.count() > 0)
      std::this_thread::sleep_for(pace);
  }
}

std::vector<std::string> reader_args(const setup& s, const std::string& side,
                                     const std::string& channel, std::size_t frames, bool paced) {
  if (side == "cpp")
    return {s.self,
            "--role",
            "sub",
            "--channel",
            channel,
            "--frames",
            std::to_string(frames),
            paced ? "--paced" : "--flat"};
  return {s.python, s.script, "sub", channel, std::to_string(frames), paced ? "paced" : "flat"};
}

std::vector<std::string> caller_args(const setup& s, const std::string& side,
                                     const std::string& service, std::size_t calls) {
  if (side == "cpp")
    return {s.self, "--role", "call", "--service", service, "--calls", std::to_string(calls)};
  return {s.python, s.script, "call", service, std::to_string(calls)};
}

caf::behavior echo_service(caf::event_based_actor* self, std::string name) {
  runtime::command_table cmds;
  cmds.on_command("echo", [](const command& c) { return parse_json(c.args.text); });
  if (auto served = runtime::serve(self, name, cmds); !served)
    std::cerr << "dxhub-bench-python: serve: " << served.error().what() << std::endl;
  return {cmds.handler()};
}

int run_main(const setup& s, bool results) {
  auto prefix = "dxbp" + std::to_string(::getpid()) + ".";
  ::setenv("DXHUB_SHM_PREFIX", prefix.c_str(), 1);
  ::unsetenv("DXHUB_REGISTRY");
  auto dir = fs::temp_directory_path() / ("dxhub-bench-python-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // Every node's ipc sockets too (ours and the children's): a child killed
  // at its time limit cannot remove its own, the end of the run removes all.
  ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  auto endpoint = "ipc://" + (dir / "registry").string();
  auto host = apps::registry_host::start(endpoint, "bench-python-registry");
  if (!host) {
    std::cerr << "dxhub-bench-python: " << host.error().what() << std::endl;
    return 1;
  }
  // The children (callers) find the service through it.
  ::setenv("DXHUB_REGISTRY", endpoint.c_str(), 1);
  auto& n = host.value()->node();
  report rep{"Python face next to C++ (same runtime paths)"};
  // The registry's node keeps no shared memory: frames come from a node of
  // their own, as from any instrument's process.
  runtime::node_config frames_cfg;
  caf::actor_system frames_sys{frames_cfg};
  runtime::node_options frames_opts;
  frames_opts.name = "bench-python-frames";
  frames_opts.networked = false;
  runtime::node frames_node{frames_sys, frames_opts};

  // Frames: rate at 4 KiB and 8 MiB, then one-way latency at 4 KiB.
  for (std::size_t bytes : {std::size_t{4096}, std::size_t{8} << 20}) {
    auto channel = "bench/py" + size_label(bytes) + "/raw";
    auto pub = runtime::publish(frames_node, channel, raw_bytes_schema(bytes), {.chunk_count = 16});
    if (!pub) {
      std::cerr << "dxhub-bench-python: " << pub.error().what() << std::endl;
      return 1;
    }
    // Enough frames that the warm-up (20 frames, not counted) is far behind.
    std::size_t frames = bytes > 65536 ? (s.quick ? 1000 : 10000) : (s.quick ? 5000 : 40000);
    for (std::string side : {"cpp", "python"}) {
      auto reader = child::start(reader_args(s, side, channel, frames, false));
      if (!reader)
        return 1;
      feed(pub.value(), *reader, 0us);
      auto rate = numbers_after(reader->finish(60s), "rate");
      if (!rate.empty())
        rep.add_throughput(side + "_sub", "block", bytes, rate[0]);
      else
        std::cerr << "dxhub-bench-python: the " << side << " reader printed no rate" << std::endl;
    }
    if (bytes == 4096)
      for (std::string side : {"cpp", "python"}) {
        auto reader = child::start(reader_args(s, side, channel, s.quick ? 300 : 3000, true));
        if (!reader)
          return 1;
        feed(pub.value(), *reader, 300us);
        auto lat = numbers_after(reader->finish(60s), "latency_ns");
        if (!lat.empty())
          rep.add_latency(side + "_sub", "block", bytes, lat);
      }
  }

  // Calls: round trips to one C++ service of this process.
  const std::string service = "bench/echo";
  auto svc = n.system().spawn(echo_service, service);
  for (std::string side : {"cpp", "python"}) {
    auto caller = child::start(caller_args(s, side, service, s.quick ? 300 : 3000));
    if (!caller)
      return 1;
    auto lat = numbers_after(caller->finish(120s), "latency_ns");
    if (!lat.empty())
      rep.add_latency(side + "_call", "block", 64, lat);
    else
      std::cerr << "dxhub-bench-python: the " << side << " caller printed no latencies"
                << std::endl;
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);

  auto ratio = [&](const std::string& name, const std::string& sec, const std::string& bench_a,
                   const std::string& bench_b, const std::string& size, const std::string& metric,
                   const std::string& goal) {
    auto a = rep.find(sec, bench_a, "block", size, metric);
    auto b = rep.find(sec, bench_b, "block", size, metric);
    if (a > 0 && b > 0)
      rep.add_ratio(name, a / b, goal);
  };
  ratio("python / cpp subscriber rate, 4KiB", "thr", "python_sub", "cpp_sub", "4KiB", "msgs_per_s",
        ">= 100000 frames/s absolute");
  ratio("python / cpp subscriber rate, 8MiB", "thr", "python_sub", "cpp_sub", "8MiB", "msgs_per_s",
        ">= 0.5");
  ratio("python / cpp call p50", "lat", "python_call", "cpp_call", "64B", "p50", "<= 1.5");
  rep.print(results);
  // Channels of a benchmark do not outlive it (a restarted publisher would
  // reuse them; nothing here comes back).
  for (std::size_t bytes : {std::size_t{4096}, std::size_t{8} << 20})
    (void)shm::remove_channel("bench/py" + size_label(bytes) + "/raw");
  frames_node.shutdown();
  host.value().reset();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return 0;
}

} // namespace

} // namespace dxhub::bench::python

int main(int argc, char** argv) {
  using namespace dxhub::bench::python;
  CLI::App app{"dxhub-bench-python: the Python face next to C++ on the same runtime paths"};
  setup s;
  bool results = false;
  std::string role, channel, service;
  std::size_t frames = 0, calls = 0;
  bool paced = false, flat = false;
  app.add_flag("--quick", s.quick, "a short run");
  app.add_flag("--results", results, "print RESULT lines");
  app.add_option("--python", s.python, "the interpreter")->capture_default_str();
  app.add_option("--script", s.script, "the Python side (default: beside this program)");
  app.add_option("--role", role, "internal: sub | call");
  app.add_option("--channel", channel, "internal");
  app.add_option("--service", service, "internal");
  app.add_option("--frames", frames, "internal");
  app.add_option("--calls", calls, "internal");
  app.add_flag("--paced", paced, "internal");
  app.add_flag("--flat", flat, "internal");
  CLI11_PARSE(app, argc, argv);
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  s.self = exe.string();
  if (s.script.empty())
    s.script = (exe.parent_path() / "dxhub_bench_python.py").string();
#ifdef DXHUB_PYTHON_BUILD_DIR
  // In the build tree the module is not installed: point the interpreter at it.
  if (fs::exists(DXHUB_PYTHON_BUILD_DIR "/dxhub"))
    ::setenv("PYTHONPATH", DXHUB_PYTHON_BUILD_DIR, 1);
#endif
  if (role == "sub")
    return run_subscriber(channel, frames, paced);
  if (role == "call")
    return run_caller(service, calls);
  return run_main(s, results);
}
