#include "dxhub/benchmarks/transports/shm/measurements.hpp"

#include "dxhub/benchmarks/support/pipe_io.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/launch/child_process.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/segment_name.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <span>
#include <string>
#include <thread>
#include <unistd.h>

namespace dxhub::bench::shm {

namespace {

using namespace dxhub::shm;
using namespace std::chrono_literals;

std::string unique_channel(const char* what) {
  static std::atomic<int> n{0};
  return std::string{"bench/"} + what + "/p" + std::to_string(getpid()) + "n" + std::to_string(n++);
}

channel_options options_for(std::size_t bytes, uint32_t readers) {
  channel_options o;
  o.chunk_size = bytes;
  // The same pool and queue for every size, so that the rates of different
  // sizes compare like with like (8 MiB: a 512 MiB segment). Deep queues
  // ride out the moments a busy machine deschedules one side.
  o.chunk_count = 64;
  o.max_subscribers = readers;
  o.max_queue_depth = o.chunk_count / 2;
  o.reliable_timeout = 5s;
  return o;
}

frame_schema schema_for(std::size_t bytes) {
  return raw_bytes_schema(bytes, "dxhub.bench.frame");
}

// A forked child (launch::child_process::fork): pinned, runs `body`, leaves
// with _exit (the parent's publisher objects copied by fork must never run
// their destructors here). A child that cannot be forked is one not running.
template <class F>
launch::child_process spawn(int cpu, int out_fd, F body) {
  auto child = launch::child_process::fork([&] {
    pin_to_cpu(cpu);
    return body(out_fd);
  });
  return child ? std::move(child).value() : launch::child_process{};
}

int reap(launch::child_process& child) {
  if (!child.running())
    return 128;
  int status = 0;
  while (waitpid(child.pid(), &status, 0) < 0 && errno == EINTR) {
  }
  child.reaped(launch::exit_status::from_wait(status));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

expected<subscriber> attach_retry(const std::string& channel, std::size_t bytes,
                                  const subscriber_options& o) {
  auto deadline = now_ns() + 10'000'000'000LL;
  for (;;) {
    auto s = subscriber::attach(channel, schema_for(bytes).id(), o);
    if (s || now_ns() > deadline)
      return s;
    std::this_thread::sleep_for(1ms);
  }
}

bool wait_for_subscribers(publisher& pub, std::size_t n) {
  auto deadline = now_ns() + 10'000'000'000LL;
  while (pub.subscriber_count() < n)
    if (now_ns() > deadline)
      return false;
    else
      std::this_thread::sleep_for(1ms);
  return true;
}

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct channel_cleanup {
  std::vector<std::string> channels;
  ~channel_cleanup() {
    for (auto& c : channels)
      (void)remove_channel(c);
  }
};

} // namespace

expected<std::vector<double>> pingpong_latency(const run_options& o) {
  auto ping = unique_channel("ping");
  auto pong = unique_channel("pong");
  channel_cleanup cleanup{{ping, pong}};
  subscriber_options so;
  so.mode = policy::reliable;
  so.queue_depth = 4;
  so.busy_poll = o.busy_poll;
  DXHUB_TRY(pub, publisher::open(ping, schema_for(o.bytes), options_for(o.bytes, 1)));
  auto child = spawn(o.cpu_b, -1, [&](int) {
    auto back = publisher::open(pong, schema_for(64), options_for(64, 1));
    if (!back)
      return 2;
    auto in = attach_retry(ping, o.bytes, so);
    if (!in)
      return 3;
    for (;;) {
      auto f = in.value().take(5s);
      if (!f)
        return 0; // the parent closed the ping channel
      auto chunk = back.value().loan_chunk();
      if (!chunk || !back.value().publish(std::move(chunk).value()))
        return 4;
    }
  });
  pin_to_cpu(o.cpu_a);
  auto in = attach_retry(pong, 64, so);
  if (!in || !wait_for_subscribers(pub, 1)) {
    child.signal(SIGKILL);
    reap(child);
    return error{errc::timeout, "ping-pong peer did not attach"};
  }
  std::vector<double> samples;
  samples.reserve(o.iterations);
  for (std::size_t i = 0; i < o.warmup + o.iterations; ++i) {
    auto t0 = now_ns();
    DXHUB_TRY(chunk, pub.loan_chunk());
    DXHUB_TRYV(pub.publish(std::move(chunk)));
    DXHUB_TRYV(in.value().take(5s)); // the pong frame is released at once
    auto t1 = now_ns();
    if (i >= o.warmup)
      samples.push_back(static_cast<double>(t1 - t0) / 2);
  }
  { auto done = std::move(pub); }
  reap(child);
  return samples;
}

expected<throughput_result> throughput(const run_options& o, bool fill) {
  auto channel = unique_channel("thr");
  channel_cleanup cleanup{{channel}};
  auto opts = options_for(o.bytes, 1);
  DXHUB_TRY(pub, publisher::open(channel, schema_for(o.bytes), opts));
  subscriber_options so;
  so.mode = policy::reliable;
  so.queue_depth = opts.chunk_count / 2;
  so.busy_poll = o.busy_poll;
  auto child = spawn(o.cpu_b, -1, [&](int) {
    auto in = attach_retry(channel, o.bytes, so);
    if (!in)
      return 3;
    while (in.value().take(5s)) {
    }
    return 0;
  });
  pin_to_cpu(o.cpu_a);
  if (!wait_for_subscribers(pub, 1)) {
    child.signal(SIGKILL);
    reap(child);
    return error{errc::timeout, "throughput peer did not attach"};
  }
  std::vector<std::byte> source(fill ? o.bytes : 0, std::byte{0x5a});
  std::vector<loan> batch;
  batch.reserve(o.batch);
  uint64_t frames = 0;
  auto cpu0 = thread_cpu_ns();
  auto t0 = now_ns();
  auto end = t0 + std::chrono::duration_cast<std::chrono::nanoseconds>(o.duration).count();
  int64_t t1 = t0;
  // Check the clock every few frames only: it is not free at 64 B.
  while (t1 < end) {
    for (int k = 0; k < 16; ++k) {
      if (o.batch > 1) {
        batch.clear();
        for (std::size_t b = 0; b < o.batch; ++b) {
          DXHUB_TRY(chunk, pub.loan_chunk());
          if (fill)
            std::memcpy(chunk.data(), source.data(), o.bytes);
          batch.push_back(std::move(chunk));
        }
        DXHUB_TRYV(pub.publish(std::span<loan>{batch}));
        frames += o.batch;
        continue;
      }
      DXHUB_TRY(chunk, pub.loan_chunk());
      if (fill)
        std::memcpy(chunk.data(), source.data(), o.bytes);
      DXHUB_TRYV(pub.publish(std::move(chunk)));
      ++frames;
    }
    t1 = now_ns();
  }
  auto cpu1 = thread_cpu_ns();
  { auto done = std::move(pub); }
  reap(child);
  return throughput_result{static_cast<double>(frames) * 1e9 / static_cast<double>(t1 - t0),
                           static_cast<double>(cpu1 - cpu0) / static_cast<double>(frames),
                           static_cast<double>(cpu1 - cpu0) / static_cast<double>(t1 - t0)};
}

expected<std::vector<double>> fanout_latency(const run_options& o, int readers) {
  auto channel = unique_channel("fan");
  channel_cleanup cleanup{{channel}};
  DXHUB_TRY(pub, publisher::open(channel, schema_for(o.bytes),
                                 options_for(o.bytes, static_cast<uint32_t>(readers))));
  subscriber_options so;
  so.mode = policy::reliable;
  so.queue_depth = 4;
  so.busy_poll = o.busy_poll;
  std::vector<std::pair<launch::child_process, int>> children;
  auto total = o.warmup + o.iterations;
  for (int r = 0; r < readers; ++r) {
    int fds[2];
    if (pipe(fds) != 0)
      return last_system_error("pipe");
    auto reader = spawn(o.cpu_b, fds[1], [&](int out) {
      close(fds[0]);
      auto in = attach_retry(channel, o.bytes, so);
      if (!in)
        return 3;
      std::vector<double> samples;
      samples.reserve(total);
      for (;;) {
        auto f = in.value().take(5s);
        if (!f)
          break;
        samples.push_back(static_cast<double>(now_ns() - f.value().header().monotonic_ns));
      }
      uint64_t n = samples.size();
      write_all(out, &n, sizeof n);
      write_all(out, samples.data(), n * sizeof(double));
      return 0;
    });
    close(fds[1]);
    children.emplace_back(std::move(reader), fds[0]);
  }
  pin_to_cpu(o.cpu_a);
  if (!wait_for_subscribers(pub, static_cast<std::size_t>(readers)))
    return error{errc::timeout, "fan-out peers did not attach"};
  for (std::size_t i = 0; i < total; ++i) {
    DXHUB_TRY(chunk, pub.loan_chunk());
    DXHUB_TRYV(pub.publish(std::move(chunk)));
    // Spaced out so that every reader is asleep again: latency, not queueing.
    auto until = now_ns() + 300'000;
    while (now_ns() < until)
      std::this_thread::yield();
  }
  { auto done = std::move(pub); }
  std::vector<double> all;
  for (auto& [reader, fd] : children) {
    uint64_t n = 0;
    if (read_all(fd, &n, sizeof n)) {
      std::vector<double> samples(n);
      if (read_all(fd, samples.data(), n * sizeof(double)) && n > o.warmup)
        all.insert(all.end(), samples.begin() + static_cast<std::ptrdiff_t>(o.warmup),
                   samples.end());
    }
    close(fd);
    reap(reader);
  }
  return all;
}

expected<double> idle_cpu_seconds(const run_options& o) {
  auto channel = unique_channel("idle");
  channel_cleanup cleanup{{channel}};
  // A live publisher that never publishes: the subscriber sleeps, checking it now and then.
  DXHUB_TRY(pub, publisher::open(channel, schema_for(o.bytes), options_for(o.bytes, 1)));
  (void)pub;
  int fds[2];
  if (pipe(fds) != 0)
    return last_system_error("pipe");
  auto child = spawn(o.cpu_b, fds[1], [&](int out) {
    close(fds[0]);
    subscriber_options so; // blocking, the default
    auto in = attach_retry(channel, o.bytes, so);
    if (!in)
      return 3;
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    auto r = in.value().take(o.duration);
    getrusage(RUSAGE_SELF, &after);
    auto cpu = [](const rusage& u) {
      return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
             + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    };
    double used = cpu(after) - cpu(before);
    write_all(out, &used, sizeof used);
    return r ? 5 : 0;
  });
  close(fds[1]);
  double used = -1;
  bool got = read_all(fds[0], &used, sizeof used);
  close(fds[0]);
  reap(child);
  if (!got)
    return error{errc::peer_down, "idle subscriber did not report"};
  return used;
}

} // namespace dxhub::bench::shm
