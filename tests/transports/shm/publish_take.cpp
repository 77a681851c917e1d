#define CAF_SUITE shm.publish_take
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/thread_state.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <atomic>
#include <chrono>
#include <span>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono_literals;

namespace {

/// Waits until thread `tid` sleeps (blocked in a take).
void wait_until_asleep(pid_t tid) {
  dxhub::test::wait_until([&] { return dxhub::test::thread_asleep(tid); }, 5s, 1ms);
}

/// Waits until thread `tid` has used CPU since `ticks` (spinning in a take).
void wait_until_spun(pid_t tid, long ticks) {
  dxhub::test::wait_until([&] { return dxhub::test::thread_cpu_ticks(tid) > ticks; }, 5s, 1ms);
}

channel_options small(uint32_t chunks = 8) {
  channel_options o;
  o.chunk_size = 1024;
  o.chunk_count = chunks;
  o.max_subscribers = 8;
  o.reliable_timeout = 200ms;
  return o;
}

subscriber attach(const std::string& channel, policy p = policy::latest, uint32_t depth = 4) {
  subscriber_options o;
  o.mode = p;
  o.queue_depth = depth;
  auto s = subscriber::attach(channel, tests::test_schema(1024).id(), o);
  CAF_REQUIRE(s.has_value());
  return std::move(s).value();
}

uint64_t send(publisher& pub) {
  auto chunk = pub.loan_chunk();
  CAF_REQUIRE(chunk.has_value());
  tests::write_pattern(chunk.value().payload().first(1024), pub.sequence(), pub.session_id());
  auto seq = pub.publish(std::move(chunk).value());
  CAF_REQUIRE(seq.has_value());
  return seq.value();
}

// For other threads: CAF's checks may only run on the test's thread.
bool send_quietly(publisher& pub) {
  auto chunk = pub.loan_chunk();
  if (!chunk)
    return false;
  tests::write_pattern(chunk.value().payload().first(1024), pub.sequence(), pub.session_id());
  return pub.publish(std::move(chunk).value()).has_value();
}

} // namespace

CAF_TEST(a subscriber reads the very bytes the publisher wrote) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  auto sub = attach("lab/cam");
  CAF_CHECK(sub.try_take().error() == errc::would_block);
  auto chunk = pub.loan_chunk().value();
  auto* written = chunk.data();
  auto index = chunk.chunk_index();
  tests::write_pattern(chunk.payload().first(1024), 0, pub.session_id());
  chunk.header().meta.set("exposure_ms", "12.5").value();
  CAF_CHECK(pub.publish(std::move(chunk)).value() == 0u);
  auto f = sub.try_take();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK(f.value().data() == written); // same mapping, same address: no copy
  CAF_CHECK(f.value().chunk_index() == index);
  CAF_CHECK(f.value().header().sequence == 0u);
  CAF_CHECK(f.value().header().session == pub.session_id());
  CAF_CHECK(f.value().header().monotonic_ns > 0);
  CAF_CHECK(f.value().header().meta.get("exposure_ms") == std::optional<std::string_view>{"12.5"});
  CAF_CHECK(tests::check_pattern(f.value().payload(), 0, pub.session_id()));
  CAF_CHECK_EQUAL(sub.delivered(), 1u);
}

CAF_TEST(a subscriber reads named typed fields with their shape) {
  tests::scoped_prefix prefix;
  frame_schema s{
      "adc", 1, {field{"samples", dtype::i16, shape{4, 8}}, field{"gain", dtype::f32, shape{4}}}};
  auto o = small();
  auto pub = publisher::open("lab/adc", s, o).value();
  auto sub = subscriber::attach("lab/adc", s.id()).value();
  CAF_CHECK(sub.schema() == s);
  auto chunk = pub.loan_chunk().value();
  auto samples = chunk.view().field<int16_t>("samples").value();
  for (std::size_t i = 0; i < samples.values.size(); ++i)
    samples.values[i] = static_cast<int16_t>(i * 3);
  chunk.view().field<float>("gain").value().values[2] = 1.5f;
  pub.publish(std::move(chunk)).value();
  auto f = sub.take(1s).value();
  auto in = f.field<int16_t>("samples");
  CAF_REQUIRE(in.has_value());
  CAF_CHECK(in.value().dims == (shape{4, 8}));
  CAF_CHECK(in.value().values[31] == 93);
  CAF_CHECK(f.field<float>("gain").value().values[2] == 1.5f);
  CAF_CHECK(f.field<double>("gain").error() == errc::schema_mismatch);
  CAF_CHECK(f.payload().size() == s.payload_size().value());
}

CAF_TEST(publish_copy carries the payload and its size) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  auto sub = attach("lab/cam");
  std::vector<std::byte> bytes(100, std::byte{7});
  metadata meta;
  meta.set("k", "v").value();
  CAF_CHECK(pub.publish_copy(bytes, meta).has_value());
  auto f = sub.take(1s).value();
  CAF_CHECK_EQUAL(f.payload().size(), 100u);
  CAF_CHECK(f.payload()[99] == std::byte{7});
  CAF_CHECK(f.header().meta.get("k").has_value());
  std::vector<std::byte> huge(4096);
  CAF_CHECK(pub.publish_copy(huge).error() == errc::frame_too_large);
}

CAF_TEST(latest drops the oldest and keeps order) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(16)).value();
  auto sub = attach("lab/cam", policy::latest, 4);
  for (int i = 0; i < 10; ++i)
    send(pub);
  CAF_CHECK_EQUAL(sub.dropped(), 6u);
  for (uint64_t want = 6; want < 10; ++want)
    CAF_CHECK(sub.try_take().value().header().sequence == want);
  CAF_CHECK(sub.try_take().error() == errc::would_block);
}

CAF_TEST(latest readers never hold up the publisher even when the pool runs dry) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(4)).value();
  auto a = attach("lab/cam", policy::latest, 8);
  auto b = attach("lab/cam", policy::latest, 8);
  for (int i = 0; i < 50; ++i)
    send(pub);
  auto last = a.try_take();
  CAF_REQUIRE(last.has_value());
  CAF_CHECK(a.dropped() > 0u);
  CAF_CHECK(b.dropped() > 0u);
}

CAF_TEST(reliable reports the slow reader by pid and loses nothing it queued) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(16)).value();
  auto sub = attach("lab/cam", policy::reliable, 2);
  send(pub);
  send(pub);
  auto chunk = pub.loan_chunk().value();
  tests::write_pattern(chunk.payload().first(1024), pub.sequence(), pub.session_id());
  auto t0 = std::chrono::steady_clock::now();
  auto r = pub.publish(std::move(chunk));
  auto waited = std::chrono::steady_clock::now() - t0;
  CAF_REQUIRE(!r.has_value());
  CAF_CHECK(r.error() == errc::slow_subscriber);
  CAF_CHECK(r.error().context.find(std::to_string(getpid())) != std::string::npos);
  CAF_CHECK(waited >= 150ms);
  CAF_CHECK(sub.take(1s).value().header().sequence == 0u);
  CAF_CHECK(sub.take(1s).value().header().sequence == 1u);
  CAF_CHECK_EQUAL(sub.dropped(), 1u);
}

CAF_TEST(a reliable publisher waits for a reader that catches up) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(16)).value();
  auto sub = attach("lab/cam", policy::reliable, 2);
  // CAF's checks are not thread-safe: the reader counts, the main thread checks.
  int wrong = 0;
  std::thread reader{[&] {
    for (uint64_t want = 0; want < 200; ++want) {
      auto f = sub.take(2s);
      if (!f || f.value().header().sequence != want)
        ++wrong;
    }
  }};
  int failures = 0;
  for (int i = 0; i < 200; ++i) {
    auto chunk = pub.loan_chunk();
    if (!chunk || !pub.publish(std::move(chunk).value()))
      ++failures;
  }
  reader.join();
  CAF_CHECK_EQUAL(wrong, 0);
  CAF_CHECK_EQUAL(failures, 0);
  CAF_CHECK_EQUAL(sub.dropped(), 0u);
}

namespace {

// Loans `n` chunks with the pattern of the sequences they will get.
std::vector<loan> loan_batch(publisher& pub, std::size_t n) {
  std::vector<loan> batch;
  for (std::size_t k = 0; k < n; ++k) {
    auto chunk = pub.loan_chunk();
    CAF_REQUIRE(chunk.has_value());
    tests::write_pattern(chunk.value().payload().first(1024), pub.sequence() + k, pub.session_id());
    batch.push_back(std::move(chunk).value());
  }
  return batch;
}

} // namespace

CAF_TEST(a batch publishes consecutive frames in one call and a bad loan publishes nothing) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(16)).value();
  auto sub = attach("lab/cam", policy::reliable, 8);
  send(pub);
  auto batch = loan_batch(pub, 5);
  auto first = pub.publish(std::span<loan>{batch});
  CAF_REQUIRE(first.has_value());
  CAF_CHECK_EQUAL(first.value(), 1u);
  CAF_CHECK_EQUAL(pub.sequence(), 6u);
  for (auto& chunk : batch)
    CAF_CHECK(!chunk); // consumed
  for (uint64_t want = 0; want < 6; ++want) {
    auto f = sub.try_take();
    CAF_REQUIRE(f.has_value());
    CAF_CHECK_EQUAL(f.value().header().sequence, want);
    CAF_CHECK(tests::check_pattern(f.value().payload(), want, pub.session_id()));
  }
  CAF_CHECK(sub.try_take().error() == errc::would_block);
  // One empty loan in the batch: an error, nothing published, the good loans kept.
  auto mixed = loan_batch(pub, 2);
  mixed.emplace_back();
  CAF_CHECK(pub.publish(std::span<loan>{mixed}).error() == errc::invalid_argument);
  CAF_CHECK(mixed[0] && mixed[1]);
  CAF_CHECK(sub.try_take().error() == errc::would_block);
  CAF_CHECK_EQUAL(pub.sequence(), 6u);
  mixed.clear();
  CAF_CHECK_EQUAL(pub.free_chunks(), 16u);
}

CAF_TEST(a batch longer than a queue waits for a reliable reader and drops from a latest one) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(32)).value();
  auto slow = attach("lab/cam", policy::reliable, 2);
  auto keeper = attach("lab/cam", policy::latest, 4);
  int wrong = 0;
  std::thread reader{[&] {
    for (uint64_t want = 0; want < 40; ++want) {
      auto f = slow.take(2s);
      if (!f || f.value().header().sequence != want
          || !tests::check_pattern(f.value().payload(), want, pub.session_id()))
        ++wrong;
    }
  }};
  int failures = 0;
  for (int round = 0; round < 4; ++round) {
    std::vector<loan> batch;
    for (int k = 0; k < 10; ++k) {
      auto chunk = pub.loan_chunk();
      if (!chunk) {
        ++failures;
        break;
      }
      tests::write_pattern(chunk.value().payload().first(1024), pub.sequence() + k,
                           pub.session_id());
      batch.push_back(std::move(chunk).value());
    }
    if (!pub.publish(std::span<loan>{batch}))
      ++failures;
  }
  reader.join();
  CAF_CHECK_EQUAL(wrong, 0);
  CAF_CHECK_EQUAL(failures, 0);
  CAF_CHECK_EQUAL(slow.dropped(), 0u);
  // The latest reader keeps the newest four, in order.
  CAF_CHECK_EQUAL(keeper.dropped(), 36u);
  for (uint64_t want = 36; want < 40; ++want)
    CAF_CHECK(keeper.try_take().value().header().sequence == want);
}

CAF_TEST(a batch to a reader that makes no room reports the frames it misses) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(16)).value();
  auto sub = attach("lab/cam", policy::reliable, 2);
  auto batch = loan_batch(pub, 5);
  auto r = pub.publish(std::span<loan>{batch});
  CAF_REQUIRE(!r.has_value());
  CAF_CHECK(r.error() == errc::slow_subscriber);
  CAF_CHECK(r.error().context.find("frames 2..4") != std::string::npos);
  CAF_CHECK_EQUAL(sub.dropped(), 3u);
  CAF_CHECK(sub.take(1s).value().header().sequence == 0u);
  CAF_CHECK(sub.take(1s).value().header().sequence == 1u);
  CAF_CHECK(sub.try_take().error() == errc::would_block);
  CAF_CHECK_EQUAL(pub.sequence(), 5u);
}

CAF_TEST(a held frame pins its chunk and releasing it frees the chunk) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(4)).value();
  auto sub = attach("lab/cam", policy::latest, 4);
  CAF_CHECK_EQUAL(pub.free_chunks(), 4u);
  send(pub);
  auto f = sub.take(1s).value();
  CAF_CHECK_EQUAL(pub.free_chunks(), 3u);
  CAF_CHECK(inspect("lab/cam").value().chunks_used == 1u);
  for (int i = 0; i < 20; ++i)
    send(pub); // cycles through the other chunks only
  CAF_CHECK(tests::check_pattern(f.payload(), 0, pub.session_id()));
  while (sub.try_take()) {
  }
  { auto done = std::move(f); }
  CAF_CHECK_EQUAL(pub.free_chunks(), 4u);
}

CAF_TEST(an unpublished loan returns to the pool) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(2)).value();
  {
    auto a = pub.loan_chunk().value();
    auto b = pub.loan_chunk().value();
    CAF_CHECK(pub.loan_chunk().error() == errc::pool_exhausted);
    CAF_CHECK(inspect("lab/cam").value().chunks_loaned == 2u);
  }
  CAF_CHECK_EQUAL(pub.free_chunks(), 2u);
}

CAF_TEST(a loan outlives its publisher and the channel is released with the loan) {
  tests::scoped_prefix prefix;
  loan kept;
  {
    auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(2)).value();
    auto moved = std::move(pub); // the loan does not care where the publisher object lives
    kept = moved.loan_chunk().value();
  }
  auto sub = attach("lab/cam");
  CAF_CHECK(sub.publisher_alive()); // held open by the loan
  kept.payload()[0] = std::byte{1};
  kept = loan{};
  CAF_CHECK(!sub.publisher_alive());
  auto next = publisher::open("lab/cam", tests::test_schema(1024), small(2));
  CAF_REQUIRE(next.has_value());
  CAF_CHECK_EQUAL(next.value().free_chunks(), 2u);
}

CAF_TEST(a blocked take wakes on publish or times out or is interrupted) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  auto sub = attach("lab/cam");
  CAF_CHECK(sub.take(20ms).error() == errc::timeout);
  // Each helper acts once the reader sleeps in its take (acting earlier
  // would leave the wake-up untested, not fail the test).
  auto reader = ::gettid();
  std::thread writer{[&] {
    wait_until_asleep(reader);
    send_quietly(pub);
  }};
  auto f = sub.take(5s);
  writer.join();
  CAF_CHECK(f.has_value());
  std::thread stopper{[&] {
    wait_until_asleep(reader);
    sub.interrupt();
  }};
  auto r = sub.take(60s);
  stopper.join();
  CAF_CHECK(r.error() == errc::timeout);
  CAF_CHECK_EQUAL(r.error().context, "interrupted"); // not the end of the 60 s
}

CAF_TEST(busy poll mode takes frames too) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  subscriber_options o;
  o.busy_poll = true;
  auto sub = subscriber::attach("lab/cam", tests::test_schema(1024).id(), o).value();
  // The writer publishes once the reader has spun in its take for a while.
  auto reader = ::gettid();
  auto ticks = dxhub::test::thread_cpu_ticks(reader);
  std::thread writer{[&] {
    wait_until_spun(reader, ticks);
    send_quietly(pub);
  }};
  auto f = sub.take(5s);
  writer.join();
  CAF_CHECK(f.has_value());
}

CAF_TEST(a polling reader takes frames without the publisher ever waking it) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  subscriber_options o;
  o.poll_period = 20ms;
  auto poller = subscriber::attach("lab/cam", tests::test_schema(1024).id(), o).value();
  auto sleeper = attach("lab/cam");
  // Each frame is published while both readers sleep in their takes (acting
  // earlier would leave the wake-up untested, not fail the test).
  auto reader = ::gettid();
  for (int i = 0; i < 3; ++i) {
    std::atomic<pid_t> sleepy_tid{0};
    bool slept_and_took = false;
    std::thread sleepy{[&] {
      sleepy_tid = ::gettid();
      slept_and_took = sleeper.take(5s).has_value();
    }};
    std::thread writer{[&] {
      dxhub::test::wait_until([&] { return sleepy_tid.load() != 0; }, 5s, 1ms);
      wait_until_asleep(reader);
      wait_until_asleep(sleepy_tid.load());
      send_quietly(pub);
    }};
    auto f = poller.take(5s);
    writer.join();
    sleepy.join();
    CAF_CHECK(f.has_value());
    CAF_CHECK(slept_and_took);
  }
  auto info = inspect("lab/cam").value();
  CAF_REQUIRE_EQUAL(info.subscribers.size(), 2u);
  for (const auto& s : info.subscribers) {
    if (s.row == poller.row()) {
      CAF_CHECK(s.never_sleeps);
      CAF_CHECK_EQUAL(s.wakeups, 0u);
      CAF_CHECK_EQUAL(s.delivered, 3u);
    } else {
      CAF_CHECK(!s.never_sleeps);
      CAF_CHECK(s.wakeups >= 3u);
    }
  }
  // An interrupt ends a poll at once, not at the end of the 60 s.
  std::thread stopper{[&] {
    wait_until_asleep(reader);
    poller.interrupt();
  }};
  auto r = poller.take(60s);
  stopper.join();
  CAF_CHECK(r.error() == errc::timeout);
  CAF_CHECK_EQUAL(r.error().context, "interrupted");
  // A poll period beyond a second is refused.
  o.poll_period = 2s;
  CAF_CHECK(subscriber::attach("lab/cam", tests::test_schema(1024).id(), o).error()
            == errc::invalid_argument);
  // A departed publisher is seen within a poll, too.
  { auto gone = std::move(pub); }
  CAF_CHECK(poller.take(2s).error() == errc::publisher_gone);
}

CAF_TEST(a newest reader takes the newest frame and costs the publisher nothing) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(4)).value();
  send(pub); // before the reader: not for it
  auto sub = attach("lab/cam", policy::newest, 1);
  CAF_CHECK(sub.try_take().error() == errc::would_block);
  for (int i = 0; i < 5; ++i)
    send(pub); // frames 1..5
  auto f = sub.take(1s);
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f.value().header().sequence, 5u);
  CAF_CHECK(tests::check_pattern(f.value().payload(), 5, pub.session_id()));
  CAF_CHECK(sub.try_take().error() == errc::would_block); // nothing newer
  CAF_CHECK_EQUAL(sub.dropped(), 4u);                     // 1..4: never seen
  // The pinned frame stays intact while the publisher cycles through the
  // pool many times over; the pool is whole again once it is let go.
  for (int i = 0; i < 40; ++i)
    send(pub);
  CAF_CHECK(tests::check_pattern(f.value().payload(), 5, pub.session_id()));
  auto g = sub.try_take();
  CAF_REQUIRE(g.has_value());
  CAF_CHECK_EQUAL(g.value().header().sequence, 45u);
  CAF_CHECK_EQUAL(sub.dropped(), 43u); // and 6..44
  { auto done = std::move(f); }
  { auto done = std::move(g); }
  send(pub);
  // The publisher never visits its row: no queue, no wake-up, no bit in the roster.
  auto info = inspect("lab/cam").value();
  CAF_REQUIRE_EQUAL(info.subscribers.size(), 1u);
  CAF_CHECK(info.subscribers[0].mode == policy::newest);
  CAF_CHECK(info.subscribers[0].never_sleeps);
  CAF_CHECK_EQUAL(info.subscribers[0].wakeups, 0u);
  CAF_CHECK_EQUAL(info.subscribers[0].queued, 0u);
  CAF_CHECK_EQUAL(info.subscribers[0].delivered, 2u);
  // Nothing pinned: the whole pool is free (the newest frame's chunk is
  // handed out last, when no other is free).
  CAF_CHECK_EQUAL(pub.free_chunks(), 4u);
  std::vector<loan> loans;
  for (int i = 0; i < 3; ++i)
    loans.push_back(pub.loan_chunk().value());
  auto pinned = sub.take(1s); // the newest frame, before its chunk is needed
  CAF_REQUIRE(pinned.has_value());
  CAF_CHECK(pub.loan_chunk().error() == errc::pool_exhausted);
  CAF_CHECK(tests::check_pattern(pinned.value().payload(), 46, pub.session_id()));
}

CAF_TEST(a pool of one chunk still publishes beside a newest reader) {
  // The newest frame is kept for newest readers only while other chunks are
  // free: with one chunk it is withdrawn, and reused unless pinned.
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/one", tests::test_schema(1024), small(1)).value();
  auto sub = attach("lab/one", policy::newest, 1);
  send(pub);
  send(pub); // reuses the only chunk: not pinned
  auto f = sub.take(1s);
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f.value().header().sequence, 1u);
  // Pinned now: the pool is exhausted until the frame is let go.
  CAF_CHECK(pub.loan_chunk().error() == errc::pool_exhausted);
  { auto done = std::move(f); }
  send(pub);
  CAF_CHECK_EQUAL(sub.take(1s).value().header().sequence, 2u);
}

CAF_TEST(newest readers race a fast publisher and never see a torn frame) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/race", tests::test_schema(1024), small(8)).value();
  constexpr int readers = 2;
  std::vector<subscriber> subs;
  for (int r = 0; r < readers; ++r)
    subs.push_back(attach("lab/race", policy::newest, 1));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> torn{0}, disorder{0}, taken{0};
  std::vector<std::thread> threads;
  for (auto& sub : subs)
    threads.emplace_back([&] {
      uint64_t last = 0;
      bool any = false;
      std::vector<frame> kept; // hold two at a time: pins that outlive a take
      while (!done.load()) {
        auto f = sub.try_take();
        if (!f)
          continue;
        auto seq = f.value().header().sequence;
        if (!tests::check_pattern(f.value().payload(), seq, f.value().header().session))
          ++torn;
        if (any && seq <= last)
          ++disorder;
        any = true;
        last = seq;
        ++taken;
        kept.push_back(std::move(f).value());
        if (kept.size() > 2)
          kept.erase(kept.begin());
        for (auto& k : kept)
          if (!tests::check_pattern(k.payload(), k.header().sequence, k.header().session))
            ++torn;
      }
    });
  uint64_t sent = 0;
  auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until) {
    auto chunk = pub.loan_chunk();
    if (!chunk)
      continue; // the readers pin up to three each: the pool may be empty for a moment
    tests::write_pattern(chunk.value().payload().first(1024), pub.sequence(), pub.session_id());
    if (pub.publish(std::move(chunk).value()))
      ++sent;
  }
  done = true;
  for (auto& t : threads)
    t.join();
  CAF_MESSAGE(sent << " frames published, " << taken.load() << " taken by " << readers
                   << " newest readers");
  CAF_CHECK(sent > 1000u);
  CAF_CHECK(taken.load() > 0u);
  CAF_CHECK_EQUAL(torn.load(), 0u);
  CAF_CHECK_EQUAL(disorder.load(), 0u);
}

CAF_TEST(a departed publisher is reported once and its successor resumes with a new session) {
  tests::scoped_prefix prefix;
  auto first = publisher::open("lab/cam", tests::test_schema(1024), small());
  CAF_REQUIRE(first.has_value());
  auto old_session = first.value().session_id();
  auto sub = attach("lab/cam");
  send(first.value());
  auto kept = sub.take(1s).value();
  { auto gone = std::move(first).value(); }
  auto r = sub.take(2s);
  CAF_CHECK(r.error() == errc::publisher_gone);
  CAF_CHECK(!sub.publisher_alive());
  CAF_CHECK(sub.take(150ms).error() == errc::timeout); // reported once, then it waits
  auto second = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  CAF_CHECK(second.session_id() != old_session);
  CAF_CHECK_EQUAL(second.subscriber_count(), 1u);
  send(second);
  auto f = sub.take(1s);
  CAF_REQUIRE(f.has_value());
  CAF_CHECK(f.value().header().session == second.session_id());
  CAF_CHECK(f.value().header().sequence == 0u);
  CAF_CHECK(tests::check_pattern(kept.payload(), 0, old_session));
  CAF_CHECK(inspect("lab/cam").value().sessions == 2u);
}

CAF_TEST(inspection shows publisher and chunks and every subscriber) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  auto a = attach("lab/cam", policy::latest, 2);
  auto b = attach("lab/cam", policy::reliable, 4);
  for (int i = 0; i < 3; ++i)
    send(pub);
  auto f = b.take(1s).value();
  auto info = inspect("lab/cam");
  CAF_REQUIRE(info.has_value());
  auto& i = info.value();
  CAF_CHECK_EQUAL(i.publisher_pid, getpid());
  CAF_CHECK(i.publisher_alive);
  CAF_CHECK_EQUAL(i.session, pub.session_id());
  CAF_CHECK_EQUAL(i.sequence, 3u);
  CAF_CHECK_EQUAL(i.chunk_count, 8u);
  CAF_CHECK_EQUAL(i.chunks_used, 3u);
  CAF_CHECK_EQUAL(i.chunks_free, 5u);
  CAF_REQUIRE_EQUAL(i.subscribers.size(), 2u);
  CAF_CHECK(i.subscribers[0].mode == policy::latest);
  CAF_CHECK_EQUAL(i.subscribers[0].queued, 2u);
  CAF_CHECK_EQUAL(i.subscribers[0].dropped, 1u);
  CAF_CHECK(i.subscribers[1].mode == policy::reliable);
  CAF_CHECK_EQUAL(i.subscribers[1].delivered, 1u);
  CAF_CHECK_EQUAL(i.subscribers[1].held, 1u);
  CAF_CHECK_EQUAL(i.subscribers[1].queue_depth, 4u);
  CAF_CHECK(i.subscribers[1].last_heartbeat_ns > 0);
  CAF_CHECK_EQUAL(i.subscribers[1].pid, getpid());
  // Inspection changed nothing.
  CAF_CHECK(a.try_take().value().header().sequence == 1u);
}

CAF_TEST(housekeeping runs at the loan after it is due and never in a publish) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  auto heartbeat = [] { return inspect("lab/cam").value().publisher_heartbeat_ns; };
  auto started = heartbeat();
  std::this_thread::sleep_for(150ms); // past the 100 ms maintenance period
  auto loan = pub.loan_chunk().value();
  CAF_CHECK_EQUAL(heartbeat(), started); // not due yet: no publish has said so
  CAF_REQUIRE(pub.publish(std::move(loan)).has_value());
  CAF_CHECK_EQUAL(heartbeat(), started); // due now, but the frame is handed over first
  loan = pub.loan_chunk().value();
  CAF_CHECK(heartbeat() > started); // done by the next loan
  CAF_REQUIRE(pub.publish(std::move(loan)).has_value());
}

CAF_TEST(a reader with its own reliable timeout gets it and is reported slow beside the sequence) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small(16)).value();
  subscriber_options o;
  o.mode = policy::reliable;
  o.queue_depth = 1;
  o.reliable_timeout = 0ms; // do not wait for me (the channel would wait 200 ms)
  auto stalled = subscriber::attach("lab/cam", tests::test_schema(1024).id(), o);
  CAF_REQUIRE(stalled.has_value());
  auto other = attach("lab/cam", policy::reliable, 4);
  for (uint64_t want = 0; want < 3; ++want) {
    auto chunk = pub.loan_chunk();
    CAF_REQUIRE(chunk.has_value());
    auto out = pub.publish_and_report(std::move(chunk).value());
    CAF_REQUIRE(out.has_value()); // slow is no error: the frame went out
    CAF_CHECK_EQUAL(out.value().sequence, want);
    if (want == 0) {
      CAF_CHECK(out.value().slow.empty());
      continue;
    }
    CAF_REQUIRE_EQUAL(out.value().slow.size(), 1u);
    CAF_CHECK(out.value().slow[0].find("within 0 ms; it misses frame " + std::to_string(want))
              != std::string::npos);
  }
  CAF_CHECK_EQUAL(stalled.value().dropped(), 2u);
  for (uint64_t want = 0; want < 3; ++want)
    CAF_CHECK_EQUAL(other.take(1s).value().header().sequence, want);
}

CAF_TEST(a reliable timeout beyond what a row can hold is refused) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(1024), small()).value();
  subscriber_options o;
  o.mode = policy::reliable;
  o.reliable_timeout = std::chrono::milliseconds{-1};
  auto sub = subscriber::attach("lab/cam", tests::test_schema(1024).id(), o);
  CAF_REQUIRE(!sub.has_value());
  CAF_CHECK(sub.error() == errc::invalid_argument);
}
