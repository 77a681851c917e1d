#define CAF_SUITE shm.stress_threads
// The lock-free core under concurrency in one process (one shared mapping, so
// ThreadSanitizer sees every access): `bash scripts/test.sh --sanitize thread`.
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/thread_state.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <span>
#include <thread>
#include <vector>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t frame_bytes = 256;

#ifdef DXHUB_SANITIZER_BUILD
constexpr int frames = 20000;
#else
constexpr int frames = 50000;
#endif

struct tally {
  uint64_t received = 0, torn = 0, disorder = 0, gaps = 0, last = 0;
};

// Takes frames until the publisher leaves, checking each; keeps `hold` pinned.
tally read_stream(subscriber& sub, std::size_t hold, bool slow) {
  tally t;
  std::deque<frame> kept;
  bool any = false;
  for (;;) {
    auto f = sub.take(5s);
    if (!f)
      break; // publisher_gone after the last frame (or a stuck test: counts show it)
    auto seq = f.value().header().sequence;
    if (!tests::check_pattern(f.value().payload(), seq, f.value().header().session))
      ++t.torn;
    if (any && seq <= t.last)
      ++t.disorder;
    else if (any && seq != t.last + 1)
      ++t.gaps;
    any = true;
    t.last = seq;
    ++t.received;
    if (slow && seq % 64 == 0)
      std::this_thread::sleep_for(100us); // deliberate load: a slow reader
    if (hold > 0) {
      kept.push_back(std::move(f).value());
      if (kept.size() > hold)
        kept.pop_front();
    }
  }
  return t;
}

int write_frames(publisher& pub, int count) {
  int failures = 0;
  for (int i = 0; i < count; ++i) {
    auto chunk = pub.loan_chunk();
    if (!chunk) {
      ++failures;
      continue;
    }
    tests::write_pattern(chunk.value().payload().first(frame_bytes), pub.sequence(),
                         pub.session_id());
    failures += pub.publish(std::move(chunk).value()) ? 0 : 1;
  }
  return failures;
}

// As write_frames, in batches of 1 to 7 frames (one publish call each).
int write_batches(publisher& pub, int count) {
  int failures = 0;
  std::vector<loan> batch;
  for (int i = 0, size = 1; i < count; i += size, size = size % 7 + 1) {
    batch.clear();
    for (int k = 0; k < size && i + k < count; ++k) {
      auto chunk = pub.loan_chunk();
      if (!chunk) {
        ++failures;
        break;
      }
      tests::write_pattern(chunk.value().payload().first(frame_bytes), pub.sequence() + k,
                           pub.session_id());
      batch.push_back(std::move(chunk).value());
    }
    failures += pub.publish(std::span<loan>{batch}) ? 0 : 1;
  }
  return failures;
}

struct reader {
  policy mode;
  uint32_t depth;
  std::size_t hold;
  bool slow;
};

// Six readers of every kind against one publisher writing with `write`.
template <class Write>
void run_mixed_readers(const char* channel, Write write) {
  channel_options o;
  o.chunk_size = frame_bytes;
  o.chunk_count = 16;
  o.reliable_timeout = 20s;
  auto pub = publisher::open(channel, tests::test_schema(frame_bytes), o).value();
  std::vector<reader> readers{{policy::latest, 2, 0, false},   {policy::latest, 4, 1, true},
                              {policy::latest, 8, 2, false},   {policy::reliable, 2, 0, false},
                              {policy::reliable, 8, 1, false}, {policy::reliable, 4, 2, true}};
  std::vector<subscriber> subs;
  for (auto& r : readers) {
    subscriber_options so;
    so.mode = r.mode;
    so.queue_depth = r.depth;
    subs.push_back(subscriber::attach(channel, tests::test_schema(frame_bytes).id(), so).value());
  }
  std::vector<tally> results(readers.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < readers.size(); ++i)
    threads.emplace_back(
        [&, i] { results[i] = read_stream(subs[i], readers[i].hold, readers[i].slow); });
  CAF_CHECK_EQUAL(write(pub, frames), 0);
  { auto done = std::move(pub); } // the readers see publisher_gone after the last frame
  for (auto& t : threads)
    t.join();
  for (std::size_t i = 0; i < readers.size(); ++i) {
    CAF_MESSAGE("reader " << i << ": received " << results[i].received << ", dropped "
                          << subs[i].dropped());
    CAF_CHECK_EQUAL(results[i].torn, 0u);
    CAF_CHECK_EQUAL(results[i].disorder, 0u);
    CAF_CHECK_EQUAL(results[i].last, static_cast<uint64_t>(frames - 1));
    if (readers[i].mode == policy::reliable) {
      CAF_CHECK_EQUAL(results[i].received, static_cast<uint64_t>(frames));
      CAF_CHECK_EQUAL(results[i].gaps, 0u);
    }
  }
}

} // namespace

CAF_TEST(concurrent latest and reliable readers see every frame intact and in order) {
  tests::scoped_prefix prefix;
  run_mixed_readers("stress/core", write_frames);
}

CAF_TEST(batched publishing keeps every frame intact and in order for every reader) {
  tests::scoped_prefix prefix;
  run_mixed_readers("stress/batch", write_batches);
}

// A lost wake-up (a publish that misses the sleep bit of a reader going to
// sleep) costs the reader its whole sleep slice of 200 ms. Two threads play
// ping-pong with blocking takes: a round that long is such a miss (or a very
// busy machine, hence a small allowance).
CAF_TEST(blocking ping-pong rounds never wait for a sleep slice) {
  tests::scoped_prefix prefix;
  channel_options o;
  o.chunk_size = frame_bytes;
  o.chunk_count = 4;
  auto ping = publisher::open("stress/ping", tests::test_schema(frame_bytes), o).value();
  auto pong = publisher::open("stress/pong", tests::test_schema(frame_bytes), o).value();
  subscriber_options so;
  so.mode = policy::reliable;
  auto ping_in =
      subscriber::attach("stress/ping", tests::test_schema(frame_bytes).id(), so).value();
  auto pong_in =
      subscriber::attach("stress/pong", tests::test_schema(frame_bytes).id(), so).value();
  constexpr int rounds = frames / 20;
  int echo_failures = 0;
  std::thread echo{[&] {
    for (int i = 0; i < rounds; ++i) {
      auto f = ping_in.take(10s);
      auto chunk = pong.loan_chunk();
      if (!f || !chunk || !pong.publish(std::move(chunk).value()))
        ++echo_failures;
    }
  }};
  int failures = 0;
  int slow_rounds = 0;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto chunk = ping.loan_chunk();
    if (!chunk || !ping.publish(std::move(chunk).value()) || !pong_in.take(10s))
      ++failures;
    slow_rounds += std::chrono::steady_clock::now() - t0 >= 150ms;
  }
  echo.join();
  CAF_MESSAGE(rounds << " rounds, " << slow_rounds << " of them 150 ms or longer");
  CAF_CHECK_EQUAL(failures, 0);
  CAF_CHECK_EQUAL(echo_failures, 0);
  CAF_CHECK_LESS_OR_EQUAL(slow_rounds, rounds / 200);
}

CAF_TEST(subscribers attaching and leaving under load leave the pool whole) {
  tests::scoped_prefix prefix;
  channel_options o;
  o.chunk_size = frame_bytes;
  // Enough for what the churners may pin at once (the reliable one: 2 queued,
  // 2 kept, 1 in hand; each latest one: 2 kept, 1 in hand) and the
  // publisher's loan: a smaller pool may run dry under load, which is the
  // documented refusal, not what this test is after.
  o.chunk_count = 16;
  o.max_subscribers = 8;
  o.reliable_timeout = 20s;
  auto pub = publisher::open("stress/churn", tests::test_schema(frame_bytes), o).value();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0};
  std::vector<std::thread> churners;
  for (int k = 0; k < 3; ++k)
    churners.emplace_back([&, k] {
      while (!stop.load()) {
        subscriber_options so;
        so.mode = k == 0 ? policy::reliable : policy::latest;
        so.queue_depth = 2;
        auto sub = subscriber::attach("stress/churn", tests::test_schema(frame_bytes).id(), so);
        if (!sub)
          continue;
        std::deque<frame> kept;
        for (int n = 0; n < 50 && !stop.load(); ++n) {
          auto f = sub.value().take(20ms);
          if (!f)
            continue;
          if (!tests::check_pattern(f.value().payload(), f.value().header().sequence,
                                    f.value().header().session))
            ++torn;
          kept.push_back(std::move(f).value());
          if (kept.size() > 2)
            kept.pop_front();
        }
      }
    });
  CAF_CHECK_EQUAL(write_frames(pub, frames / 2), 0);
  stop = true;
  for (auto& t : churners)
    t.join();
  pub.maintain();
  CAF_CHECK_EQUAL(torn.load(), 0u);
  CAF_CHECK_EQUAL(pub.free_chunks(), 16u);
  CAF_CHECK_EQUAL(pub.subscriber_count(), 0u);
  CAF_CHECK(inspect("stress/churn").value().chunks_free == 16u);
}

CAF_TEST(interrupt wakes a reader blocked in another thread) {
  tests::scoped_prefix prefix;
  channel_options o;
  o.chunk_size = frame_bytes;
  o.chunk_count = 4;
  auto pub = publisher::open("stress/interrupt", tests::test_schema(frame_bytes), o).value();
  auto sub = subscriber::attach("stress/interrupt", tests::test_schema(frame_bytes).id()).value();
  for (int round = 0; round < 20; ++round) {
    std::atomic<bool> woke{false};
    std::atomic<pid_t> reader_tid{0};
    std::thread reader{[&] {
      reader_tid = ::gettid();
      auto r = sub.take(30s);
      CAF_CHECK(r.error() == errc::timeout);
      woke = true;
    }};
    // Interrupted once it sleeps in its take.
    dxhub::test::wait_until(
        [&] { return reader_tid != 0 && dxhub::test::thread_asleep(reader_tid); }, 10s, 1ms);
    sub.interrupt();
    reader.join();
    CAF_CHECK(woke.load());
  }
}
