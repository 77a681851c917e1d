#include "dxhub/benchmarks/runtime/frame_rate.hpp"

#include "dxhub/benchmarks/runtime/bench_channel.hpp"
#include "dxhub/benchmarks/runtime/measuring_actors.hpp"
#include "dxhub/benchmarks/runtime/peer_process.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <cstdio>
#include <future>
#include <optional>
#include <sstream>
#include <time.h>
#include <unistd.h>

namespace dxhub::bench::runtime {

namespace {

namespace dxr = dxhub::runtime;
using namespace std::chrono_literals;

int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// -- this side: the reliable subscriber --------------------------------------------

/// What the subscriber actor saw, complete once the last frame came (a
/// `latest` subscriber may miss others, never the newest).
struct tally : outcome {
  std::size_t warmup = 0;
  std::size_t total = 0;
  bool lossless = true;
  std::size_t measured = 0; ///< frames of sequence >= warmup
  uint64_t next_sequence = 0;
  int64_t first_measured_ns = 0;
  int64_t last_ns = 0;

  void count(uint64_t sequence) {
    if (finished)
      return;
    if (lossless && sequence != next_sequence)
      return finish("frame " + std::to_string(sequence) + " when " + std::to_string(next_sequence)
                    + " was due: a reliable subscriber lost frames");
    next_sequence = sequence + 1;
    if (sequence >= warmup && measured++ == 0)
      first_measured_ns = now_ns();
    if (sequence + 1 == total) {
      last_ns = now_ns();
      finish("");
    }
  }
};

// -- the publishing peer -------------------------------------------------------------

struct flood_args {
  std::string channel;
  std::size_t bytes = 0;
  std::size_t warmup = 0;
  std::size_t frames = 0;
};

/// "<wall ns> <thread cpu ns> <process cpu ns>" of the measured frames.
expected<std::string> flood(dxr::publisher& pub, const flood_args& a) {
  auto publish_one = [&]() -> std::optional<error> {
    auto loan = pub.loan();
    if (!loan)
      return error{loan.error().code, "loan: " + loan.error().what()};
    if (auto sent = pub.publish(std::move(loan).value()); !sent)
      return error{sent.error().code, "publish: " + sent.error().what()};
    return std::nullopt;
  };
  for (std::size_t i = 0; i < a.warmup; ++i)
    if (auto failed = publish_one())
      return *failed;
  auto wall = now_ns();
  auto thread_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  auto process_cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  for (std::size_t i = 0; i < a.frames; ++i)
    if (auto failed = publish_one())
      return *failed;
  return std::to_string(now_ns() - wall) + " "
         + std::to_string(clock_ns(CLOCK_THREAD_CPUTIME_ID) - thread_cpu) + " "
         + std::to_string(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - process_cpu);
}

} // namespace

expected<rate_figures> actor_frame_rate(const rate_run& run) {
  auto channel = unique_channel("rate");
  channel_cleanup cleanup{channel};
  dxr::node_config cfg;
  caf::actor_system sys{cfg};
  dxr::node node{sys, subscriber_node()};
  auto out = std::make_shared<tally>();
  out->warmup = run.warmup;
  out->total = run.warmup + run.frames;
  out->lossless = run.policy != dxr::policy::latest;
  auto outcome = out->done.get_future();
  dxr::subscription_options opts;
  opts.policy = run.policy;
  auto take = [out](const dxr::frame& f) { out->count(f.header().sequence); };
  auto subscriber = sys.spawn(measuring_subscriber, channel, opts, take, out);
  DXHUB_TRY(peer, peer_process::start({"actor-flood", channel, std::to_string(run.bytes),
                                       std::to_string(run.warmup), std::to_string(run.frames),
                                       std::to_string(run.peer_cpu)}));
  bool complete = outcome.wait_for(60s) == std::future_status::ready;
  caf::anon_send_exit(subscriber, caf::exit_reason::kill);
  if (!complete)
    return peer_failure(peer, errc::timeout,
                        "frame rate: the last of " + std::to_string(out->total)
                            + " frames did not arrive within 60 s");
  if (auto why = outcome.get(); !why.empty())
    return peer_failure(peer, errc::invalid_argument, "frame rate: " + why);
  auto line = peer.read_line(10s);
  if (!line || line->rfind("DONE ", 0) != 0)
    return error{errc::invalid_argument,
                 "frame rate: the publisher said '" + line.value_or("nothing") + "'"};
  peer.finish();
  std::istringstream in{line->substr(5)};
  double wall = 0;
  double thread_cpu = 0;
  double process_cpu = 0;
  in >> wall >> thread_cpu >> process_cpu;
  auto n = static_cast<double>(run.frames);
  rate_figures r;
  r.published_per_s = n / (wall / 1e9);
  auto got = static_cast<double>(out->measured);
  r.received_per_s = (got - 1) / (static_cast<double>(out->last_ns - out->first_measured_ns) / 1e9);
  r.delivered = got / n;
  r.publish_thread_cpu_ns = thread_cpu / n;
  r.publisher_cpu_ns = process_cpu / n;
  return r;
}

int run_rate_peer(const std::vector<std::string>& args) {
  if (args.size() != 5) {
    std::fprintf(stderr, "peer actor-flood: CHANNEL BYTES WARMUP FRAMES CPU\n");
    return 2;
  }
  flood_args a;
  a.channel = args[0];
  a.bytes = std::stoull(args[1]);
  a.warmup = std::stoull(args[2]);
  a.frames = std::stoull(args[3]);
  // Before any thread starts: the actor system's threads inherit the core.
  pin_to_cpu(std::stoi(args[4]));
  run_publishing_peer(a.channel, a.bytes, [a](dxr::publisher& pub) { return flood(pub, a); });
}

} // namespace dxhub::bench::runtime
