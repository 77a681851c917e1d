#include "dxhub/benchmarks/runtime/frame_latency.hpp"

#include "dxhub/benchmarks/runtime/bench_channel.hpp"
#include "dxhub/benchmarks/runtime/measuring_actors.hpp"
#include "dxhub/benchmarks/runtime/peer_process.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/segment_name.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace dxhub::bench::runtime {

namespace {

namespace dxr = dxhub::runtime;
using namespace std::chrono_literals;

// -- what both paths share ------------------------------------------------------------

/// The publisher's clock, written just before publish.
void stamp(std::span<std::byte> payload) {
  auto t = now_ns();
  std::memcpy(payload.data(), &t, sizeof t);
}

double one_way_ns(std::span<const std::byte> payload) {
  auto now = now_ns();
  int64_t sent = 0;
  std::memcpy(&sent, payload.data(), sizeof sent);
  return static_cast<double>(now - sent);
}

/// Sleeps `d` without spinning, so that the reader finds the publisher's core idle.
void pause_for(std::chrono::microseconds d) {
  timespec ts{0, static_cast<long>(d.count()) * 1000};
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

std::vector<std::string> peer_args(const char* role, const std::string& channel,
                                   const frame_run& run) {
  return {role,
          channel,
          std::to_string(run.bytes),
          std::to_string(run.warmup + run.frames),
          std::to_string(run.spacing.count()),
          std::to_string(run.peer_cpu)};
}

// -- the actor path, this side ------------------------------------------------------

/// Samples gathered by the subscriber actor, handed over once complete.
struct collector : outcome {
  std::size_t warmup = 0;
  std::size_t total = 0;
  std::size_t seen = 0;
  std::vector<double> samples;

  void add(double ns) {
    if (finished)
      return;
    if (seen++ >= warmup)
      samples.push_back(ns);
    if (seen == total)
      finish("");
  }
};

// -- the publishing peer ----------------------------------------------------------

struct publish_args {
  std::string channel;
  std::size_t bytes = 0;
  std::size_t count = 0;
  std::chrono::microseconds spacing{0};
  int cpu = 1;
};

/// The actor path's publishing loop: spaced, stamped frames.
expected<std::string> publish_frames(dxr::publisher& pub, const publish_args& a) {
  for (std::size_t i = 0; i < a.count; ++i) {
    pause_for(a.spacing);
    auto loan = pub.loan();
    if (!loan)
      return error{loan.error().code, "loan: " + loan.error().what()};
    stamp(loan.value().payload());
    if (auto sent = pub.publish(std::move(loan).value()); !sent)
      return error{sent.error().code, "publish: " + sent.error().what()};
  }
  return std::string{};
}

int shm_publisher(const publish_args& a) {
  shm::channel_options opts;
  opts.chunk_size = a.bytes;
  opts.chunk_count = 16; // as the runtime's default pool
  opts.max_subscribers = 4;
  auto pub = shm::publisher::open(a.channel, schema_for(a.bytes), opts);
  if (!pub)
    return say("ERROR open: " + pub.error().what()), 1;
  if (!wait_for_reader([&] { return pub.value().subscriber_count() > 0; }))
    return say("ERROR no subscriber attached within 10 s"), 1;
  for (std::size_t i = 0; i < a.count; ++i) {
    pause_for(a.spacing);
    auto chunk = pub.value().loan_chunk();
    if (!chunk)
      return say("ERROR loan: " + chunk.error().what()), 1;
    stamp(chunk.value().payload());
    if (auto sent = pub.value().publish(std::move(chunk).value()); !sent)
      return say("ERROR publish: " + sent.error().what()), 1;
  }
  say("DONE");
  while (!parent_says_stop(1000ms)) {
  }
  return 0;
}

} // namespace

expected<std::vector<double>> actor_frame_latency(const frame_run& run) {
  auto channel = unique_channel("actor");
  channel_cleanup cleanup{channel};
  dxr::node_config cfg;
  caf::actor_system sys{cfg};
  dxr::node node{sys, subscriber_node()};
  auto out = std::make_shared<collector>();
  out->warmup = run.warmup;
  out->total = run.warmup + run.frames;
  out->samples.reserve(run.frames);
  auto outcome = out->done.get_future();
  dxr::subscription_options opts;
  opts.policy = dxr::policy::reliable;
  auto take = [out](const dxr::frame& f) { out->add(one_way_ns(f.payload())); };
  auto subscriber = sys.spawn(measuring_subscriber, channel, opts, take, out);
  DXHUB_TRY(peer, peer_process::start(peer_args("actor-publish", channel, run)));
  auto limit = 20s + run.spacing * static_cast<long>(out->total) * 4;
  bool complete = outcome.wait_for(limit) == std::future_status::ready;
  caf::anon_send_exit(subscriber, caf::exit_reason::kill);
  if (!complete)
    return peer_failure(peer, errc::timeout,
                        "actor path: only " + std::to_string(out->seen) + " of "
                            + std::to_string(out->total) + " frames arrived");
  if (auto why = outcome.get(); !why.empty())
    return peer_failure(peer, errc::invalid_argument, "actor path: " + why);
  peer.finish();
  return std::move(out->samples);
}

expected<std::vector<double>> raw_shm_frame_latency(const frame_run& run) {
  auto channel = unique_channel("raw");
  channel_cleanup cleanup{channel};
  DXHUB_TRY(peer, peer_process::start(peer_args("shm-publish", channel, run)));
  shm::subscriber_options opts;
  opts.mode = shm::policy::reliable;
  auto deadline = now_ns() + 10'000'000'000LL;
  auto sub = shm::subscriber::attach(channel, schema_for(run.bytes).id(), opts);
  while (!sub && now_ns() < deadline) {
    std::this_thread::sleep_for(1ms);
    sub = shm::subscriber::attach(channel, schema_for(run.bytes).id(), opts);
  }
  if (!sub)
    return peer_failure(peer, sub.error().code, "raw path: attach: " + sub.error().what());
  std::vector<double> samples;
  samples.reserve(run.frames);
  for (std::size_t i = 0; i < run.warmup + run.frames; ++i) {
    auto f = sub.value().take(5s);
    if (!f)
      return peer_failure(peer, f.error().code, "raw path: take: " + f.error().what());
    auto ns = one_way_ns(f.value().payload());
    if (i >= run.warmup)
      samples.push_back(ns);
  }
  peer.finish();
  return samples;
}

int run_frame_peer(const std::string& role, const std::vector<std::string>& args) {
  if (args.size() != 5) {
    std::fprintf(stderr, "peer %s: CHANNEL BYTES COUNT SPACING_US CPU\n", role.c_str());
    return 2;
  }
  publish_args a;
  a.channel = args[0];
  a.bytes = std::stoull(args[1]);
  a.count = std::stoull(args[2]);
  a.spacing = std::chrono::microseconds(std::stol(args[3]));
  a.cpu = std::stoi(args[4]);
  // Before any thread starts: the actor system's threads inherit the core.
  pin_to_cpu(a.cpu);
  if (role == "actor-publish")
    run_publishing_peer(a.channel, a.bytes,
                        [a](dxr::publisher& pub) { return publish_frames(pub, a); });
  return shm_publisher(a);
}

} // namespace dxhub::bench::runtime
