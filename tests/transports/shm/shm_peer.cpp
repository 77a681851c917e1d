// The child process of the multi-process shm tests. Arguments are key=value:
//
//   role=sub channel=C policy=latest|reliable|newest depth=8 last=N sessions=1
//            slow_us=0 busy=0 idle_ms=3000 hold=0
//     prints "ready", then takes frames ("first" at the first), checking each one's pattern and
//     order; prints "gone <monotonic_ns>" on publisher_gone; ends after frame
//     `last` of its `sessions`-th session, or after idle_ms without a frame, with
//     "result delivered=.. dropped=.. torn=.. disorder=.. gaps=.. sessions=.. held_ok=..
//     gone=.. errors=.."; any other error is counted (its first text printed as
//     "error_seen ..."), and the reader ends once errors went on for idle_ms.
//
//   role=pub channel=C size=1024 chunks=32 frames=0 run_ms=0 interval_us=0
//            min_subs=0 hang_after=-1 drain_ms=0
//     prints "session <id>", publishes `frames` (or for run_ms, or until
//     SIGUSR1), then, with
//     drain_ms, waits for the pool to be all free and every reader gone; prints
//     "result published=.. max_publish_us=.. slow=.. exhausted=.. free=F/N".
//     With hang_after=K it publishes K frames, loans one more, writes half of
//     it, prints "mid-write" and waits to be killed. With exhaust_fds=1 it
//     uses up its descriptor limit after opening (prints "fds exhausted").
//     Errors other than slow_subscriber are counted in errors=.. and the
//     first is printed as "error_seen ...".

#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono;

namespace {

std::map<std::string, std::string> args;

// SIGUSR1 ends a publisher's run (then it drains and reports).
std::atomic<bool> stop_requested{false};

extern "C" void on_stop(int) {
  stop_requested.store(true);
}

std::string arg(const std::string& key, const std::string& fallback) {
  auto it = args.find(key);
  return it == args.end() ? fallback : it->second;
}

long long num(const std::string& key, long long fallback) {
  auto it = args.find(key);
  return it == args.end() ? fallback : std::stoll(it->second);
}

int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

int run_subscriber() {
  auto channel = arg("channel", "");
  auto size = static_cast<std::size_t>(num("size", 1024));
  subscriber_options o;
  auto mode = arg("policy", "latest");
  o.mode = mode == "reliable" ? policy::reliable
           : mode == "newest" ? policy::newest
                              : policy::latest;
  o.queue_depth = static_cast<uint32_t>(num("depth", 8));
  o.busy_poll = num("busy", 0) != 0;
  auto deadline = mono_ns() + 10'000'000'000LL;
  auto attached = subscriber::attach(channel, tests::test_schema(size).id(), o);
  while (!attached && mono_ns() < deadline) {
    std::this_thread::sleep_for(milliseconds(10)); // bounded poll: until attached
    attached = subscriber::attach(channel, tests::test_schema(size).id(), o);
  }
  if (!attached) {
    say("error " + attached.error().what());
    return 2;
  }
  auto sub = std::move(attached).value();
  say("ready");
  auto last = num("last", -1);
  auto want_sessions = num("sessions", 1);
  auto slow = microseconds(num("slow_us", 0));
  auto idle = milliseconds(num("idle_ms", 3000));
  auto hold = static_cast<std::size_t>(num("hold", 0));
  std::deque<frame> kept;
  uint64_t torn = 0, disorder = 0, gaps = 0, sessions = 0, received = 0, held_ok = 1;
  uint64_t session = 0, prev = 0, gone = 0, errors = 0;
  int64_t errors_since = 0;
  bool any = false;
  for (;;) {
    auto got = sub.take(idle);
    if (!got) {
      if (got.error().code == errc::publisher_gone) {
        // Frames kept across the crash must still be intact.
        for (auto& f : kept)
          if (!tests::check_pattern(f.payload(), f.header().sequence, f.header().session))
            held_ok = 0;
        ++gone;
        say("gone " + std::to_string(mono_ns()));
        continue;
      }
      if (got.error().code != errc::timeout) {
        if (errors++ == 0) {
          say("error_seen " + got.error().what());
          errors_since = mono_ns();
        }
        if (mono_ns() - errors_since < idle.count() * 1'000'000) {
          std::this_thread::sleep_for(milliseconds(1)); // bounded poll: retry until idle
          continue;
        }
      }
      break; // idle: the stream is over
    }
    auto& f = got.value();
    if (++received == 1)
      say("first");
    auto seq = f.header().sequence;
    if (!tests::check_pattern(f.payload(), seq, f.header().session))
      ++torn;
    if (!any || f.header().session != session) {
      any = true;
      session = f.header().session;
      ++sessions;
    } else {
      if (seq <= prev)
        ++disorder;
      else if (seq != prev + 1)
        ++gaps;
    }
    prev = seq;
    if (slow.count() > 0)
      std::this_thread::sleep_for(slow); // deliberate load: a slow reader
    if (hold > 0) {
      kept.push_back(std::move(got).value());
      if (kept.size() > hold)
        kept.pop_front();
    }
    if (last >= 0 && static_cast<long long>(seq) == last
        && static_cast<long long>(sessions) >= want_sessions)
      break;
  }
  for (auto& f : kept)
    if (!tests::check_pattern(f.payload(), f.header().sequence, f.header().session))
      held_ok = 0;
  say("result delivered=" + std::to_string(received) + " dropped=" + std::to_string(sub.dropped())
      + " torn=" + std::to_string(torn) + " disorder=" + std::to_string(disorder)
      + " gaps=" + std::to_string(gaps) + " sessions=" + std::to_string(sessions)
      + " held_ok=" + std::to_string(held_ok) + " gone=" + std::to_string(gone)
      + " errors=" + std::to_string(errors));
  return 0;
}

int run_publisher() {
  auto channel = arg("channel", "");
  auto size = static_cast<std::size_t>(num("size", 1024));
  channel_options o;
  o.chunk_size = size;
  o.chunk_count = static_cast<uint32_t>(num("chunks", 32));
  o.reliable_timeout = milliseconds(num("reliable_ms", 1000));
  auto deadline = mono_ns() + 5'000'000'000LL;
  auto opened = publisher::open(channel, tests::test_schema(size), o);
  while (!opened && opened.error().code == errc::already_exists && mono_ns() < deadline) {
    std::this_thread::sleep_for(milliseconds(10)); // bounded poll: until opened
    opened = publisher::open(channel, tests::test_schema(size), o);
  }
  if (!opened) {
    say("error " + opened.error().what());
    return 2;
  }
  auto pub = std::move(opened).value();
  std::vector<int> hoard;
  if (num("exhaust_fds", 0) != 0) {
    // No descriptor left: liveness must not need one.
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_cur, 256);
    setrlimit(RLIMIT_NOFILE, &lim);
    for (;;) {
      int fd = dup(0);
      if (fd < 0)
        break;
      hoard.push_back(fd);
    }
    say("fds exhausted after " + std::to_string(hoard.size()));
  }
  say("session " + std::to_string(pub.session_id()));
  auto min_subs = static_cast<std::size_t>(num("min_subs", 0));
  auto wait_until = mono_ns() + 30'000'000'000LL;
  while (pub.subscriber_count() < min_subs && mono_ns() < wait_until)
    std::this_thread::sleep_for(milliseconds(5)); // bounded poll: until subscribed
  auto frames = num("frames", 0);
  auto run_ns = num("run_ms", 0) * 1'000'000;
  auto interval = microseconds(num("interval_us", 0));
  auto hang_after = num("hang_after", -1);
  auto start = mono_ns();
  int64_t max_publish = 0;
  uint64_t published = 0, slow = 0, exhausted = 0, errors = 0;
  for (long long i = 0;; ++i) {
    if (hang_after >= 0 && i == hang_after) {
      auto chunk = pub.loan_chunk();
      if (chunk) {
        auto bytes = chunk.value().payload();
        tests::write_pattern(bytes.first(size), pub.sequence(), pub.session_id());
        // Damage the second half as if killed while writing it.
        std::memset(bytes.data() + size / 2, 0xee, size / 2);
        say("mid-write");
        for (;;)
          std::this_thread::sleep_for(seconds(1)); // simulated crash: until killed
      }
    }
    if (frames > 0 && i >= frames)
      break;
    if ((run_ns > 0 && mono_ns() - start >= run_ns) || stop_requested.load())
      break;
    if (frames == 0 && run_ns == 0 && hang_after < 0)
      break;
    auto t0 = mono_ns();
    auto chunk = pub.loan_chunk();
    if (!chunk) {
      if (chunk.error().code == errc::pool_exhausted) {
        ++exhausted;
      } else {
        if (errors++ == 0)
          say("error_seen " + chunk.error().what());
        std::this_thread::sleep_for(milliseconds(1)); // deliberate load: back off, retry
      }
      continue;
    }
    tests::write_pattern(chunk.value().payload().first(size), pub.sequence(), pub.session_id());
    auto seq = pub.publish(std::move(chunk).value());
    max_publish = std::max(max_publish, mono_ns() - t0);
    if (!seq && seq.error().code == errc::slow_subscriber)
      ++slow;
    else if (!seq && errors++ == 0)
      say("error_seen " + seq.error().what());
    ++published;
    if (interval.count() > 0)
      std::this_thread::sleep_for(interval); // deliberate load: the rate
  }
  auto free = pub.free_chunks();
  auto drain_until = mono_ns() + num("drain_ms", 0) * 1'000'000;
  // Readers leave after their idle time; a dead one's row goes at the next maintain().
  while ((free != o.chunk_count || pub.subscriber_count() > 0) && mono_ns() < drain_until) {
    std::this_thread::sleep_for(milliseconds(20)); // bounded poll: until drained
    pub.maintain();
    free = pub.free_chunks();
  }
  say("result published=" + std::to_string(published)
      + " max_publish_us=" + std::to_string(max_publish / 1000) + " slow=" + std::to_string(slow)
      + " exhausted=" + std::to_string(exhausted) + " free=" + std::to_string(free) + "/"
      + std::to_string(o.chunk_count) + " subscribers=" + std::to_string(pub.subscriber_count())
      + " errors=" + std::to_string(errors));
#ifdef DXHUB_SANITIZER_BUILD
  // The run is over: give the descriptors back before the publisher goes.
  // UBSan's vptr check asks pipe(2) whether a vtable is readable
  // (IsAccessibleMemoryRange); with no descriptor left that fails, and it
  // reports the valid control block of the publisher's shared_ptr as an
  // "invalid vptr" at its release in ~publisher.
  for (int fd : hoard)
    close(fd);
#endif
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (eq != std::string::npos)
      args[a.substr(0, eq)] = a.substr(eq + 1);
  }
  std::signal(SIGUSR1, on_stop);
  auto role = arg("role", "");
  if (role == "sub")
    return run_subscriber();
  if (role == "pub")
    return run_publisher();
  std::fprintf(stderr, "shm_peer: role=sub or role=pub\n");
  return 2;
}
