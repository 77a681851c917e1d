#define CAF_SUITE shm.hostile_local
// Issue 18 in one process: segments made by someone else, frames that
// outlive their subscriber, rows taken over, identities that repeat, the
// eviction race and the interrupt hand-shake.
#include "dxhub/launch/child_process.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/detail/layout.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/process_identity.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/segment_name.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <deque>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono_literals;

namespace {

channel_options small(uint32_t chunks = 8) {
  channel_options o;
  o.chunk_size = 256;
  o.chunk_count = chunks;
  o.max_subscribers = 8;
  o.max_queue_depth = 64;
  return o;
}

bool contains(const error& e, const std::string& text) {
  return e.context.find(text) != std::string::npos;
}

// Writes into the channel's segment file at `offset`, as another process would.
template <class T>
void poke(const std::string& channel, std::size_t offset, T value) {
  int fd = shm_open(segment_name(channel).c_str(), O_RDWR, 0);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(pwrite(fd, &value, sizeof value, static_cast<off_t>(offset))
              == static_cast<ssize_t>(sizeof value));
  close(fd);
}

std::size_t row_field(const channel_options& o, uint32_t row, std::size_t field) {
  auto shape = shm::detail::layout::compute(o.chunk_size, o.chunk_count, o.max_subscribers,
                                            o.max_queue_depth);
  return shape.subscribers_offset + row * sizeof(shm::detail::subscriber_row) + field;
}

expected<uint64_t> publish_one(publisher& pub) {
  auto chunk = pub.loan_chunk();
  if (!chunk)
    return chunk.error();
  tests::write_pattern(chunk.value().payload().first(256), pub.sequence(), pub.session_id());
  return pub.publish(std::move(chunk).value());
}

} // namespace

CAF_TEST(a segment pre - created by another user is refused naming the owner) {
  tests::scoped_prefix prefix;
  // The other user makes the channel's segment first, readable by everyone.
  auto name = segment_name("lab/stolen");
  int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0666);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(fchmod(fd, 0666) == 0);
  CAF_REQUIRE(fchown(fd, 65534, 65534) == 0); // nobody
  close(fd);
  auto pub = publisher::open("lab/stolen", tests::test_schema(256), small());
  CAF_REQUIRE(!pub.has_value());
  CAF_MESSAGE(pub.error().what());
  CAF_CHECK(pub.error() == errc::permission_denied);
  CAF_CHECK(contains(pub.error(), "uid 65534"));
  CAF_CHECK(contains(pub.error(), "0666"));
  auto sub = subscriber::attach("lab/stolen", tests::test_schema(256).id());
  CAF_CHECK(sub.error() == errc::permission_denied);
  // The file is still there, untouched: not ours to remove.
  struct stat st {};
  CAF_CHECK(stat(("/dev/shm/" + name).c_str(), &st) == 0 && st.st_uid == 65534);
}

CAF_TEST(a segment of ours with a mode wider than configured is refused) {
  tests::scoped_prefix prefix;
  {
    auto o = small();
    o.mode = 0666;
    auto pub = publisher::open("lab/wide", tests::test_schema(256), o);
    CAF_REQUIRE(pub.has_value());
  }
  auto again = publisher::open("lab/wide", tests::test_schema(256), small()); // 0600 configured
  CAF_REQUIRE(!again.has_value());
  CAF_CHECK(again.error() == errc::permission_denied);
  CAF_CHECK(contains(again.error(), "0666"));
  auto sub = subscriber::attach("lab/wide", tests::test_schema(256).id()); // at most 0660
  CAF_CHECK(sub.error() == errc::permission_denied);
  auto info = inspect("lab/wide");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK_EQUAL(info.value().mode, 0666u);
  CAF_CHECK_EQUAL(info.value().owner, geteuid());
}

CAF_TEST(a frame outliving its subscriber does not hold the reliable publisher) {
  tests::scoped_prefix prefix;
  auto o = small();
  o.reliable_timeout = 200ms;
  auto pub = publisher::open("lab/orphan", tests::test_schema(256), o).value();
  frame orphan;
  {
    subscriber_options so;
    so.mode = policy::reliable;
    so.queue_depth = 2;
    auto sub = subscriber::attach("lab/orphan", tests::test_schema(256).id(), so).value();
    CAF_REQUIRE(publish_one(pub).has_value());
    CAF_REQUIRE(publish_one(pub).has_value());
    orphan = sub.take(1s).value();
  } // the subscriber goes, its frame stays
  auto seq = orphan.header().sequence;
  auto session = orphan.header().session;
  CAF_CHECK_EQUAL(pub.subscriber_count(), 0u);
  // Its queue is full (depth 2) but nobody waits for it: no publish is slow.
  int slow = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = publish_one(pub);
    CAF_REQUIRE(r.has_value() || r.error() == errc::slow_subscriber);
    slow += !r.has_value();
  }
  CAF_CHECK_EQUAL(slow, 0);
  CAF_CHECK(tests::check_pattern(orphan.payload(), seq, session)); // its chunk stayed pinned
  CAF_CHECK_EQUAL(pub.free_chunks(), o.chunk_count - 1);
  orphan = frame{};
  pub.maintain();
  CAF_CHECK_EQUAL(pub.free_chunks(), o.chunk_count);
  auto info = inspect("lab/orphan");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK(info.value().subscribers.empty());
}

CAF_TEST(a reader whose row was taken learns it on its next take) {
  tests::scoped_prefix prefix;
  auto o = small();
  auto pub = publisher::open("lab/taken", tests::test_schema(256), o).value();
  auto sub = subscriber::attach("lab/taken", tests::test_schema(256).id()).value();
  CAF_REQUIRE(publish_one(pub).has_value());
  CAF_REQUIRE(sub.take(1s).has_value());
  // Someone frees and claims our row behind our back.
  poke("lab/taken", row_field(o, sub.row(), offsetof(shm::detail::subscriber_row, generation)),
       uint64_t{12345});
  CAF_REQUIRE(publish_one(pub).has_value());
  auto t = sub.take(1s);
  CAF_REQUIRE(!t.has_value());
  CAF_MESSAGE(t.error().what());
  CAF_CHECK(t.error() == errc::peer_down);
  CAF_CHECK(contains(t.error(), "row"));
  CAF_CHECK(sub.try_take().error() == errc::peer_down); // every time, never a silent stream
}

CAF_TEST(a corrupt queue index is an error for the reader and the publisher) {
  tests::scoped_prefix prefix;
  auto o = small();
  auto pub = publisher::open("lab/head", tests::test_schema(256), o).value();
  subscriber_options so;
  so.queue_depth = 4;
  auto sub = subscriber::attach("lab/head", tests::test_schema(256).id(), so).value();
  auto other = subscriber::attach("lab/head", tests::test_schema(256).id(), so).value();
  poke("lab/head", row_field(o, sub.row(), offsetof(shm::detail::subscriber_row, head)),
       uint64_t{1} << 40);
  // The publisher looks at head when the row's queue seems full (after at
  // most `depth` frames): then it skips the row and says which field is
  // wrong; the other reader gets every frame.
  std::optional<error> reported;
  for (int i = 0; i < 8 && !reported; ++i) {
    auto r = publish_one(pub);
    if (!r)
      reported = r.error();
    CAF_CHECK(other.take(1s).has_value());
  }
  CAF_REQUIRE(reported.has_value());
  CAF_MESSAGE(reported->what());
  CAF_CHECK(*reported == errc::layout_mismatch);
  CAF_CHECK(contains(*reported, "head"));
  auto t = sub.try_take();
  CAF_REQUIRE(!t.has_value());
  CAF_MESSAGE(t.error().what());
  CAF_CHECK(t.error() == errc::layout_mismatch);
  // Reported once; later publishes go on for the others.
  CAF_CHECK(publish_one(pub).has_value());
  CAF_CHECK(other.take(1s).has_value());
}

CAF_TEST(an owner word naming a live process does not keep a dead slot) {
  // pid + start time repeats within one clock tick; liveness no longer reads it.
  tests::scoped_prefix prefix;
  auto o = small();
  auto me = process_identity::current().pack();
  {
    auto pub = publisher::open("lab/reuse", tests::test_schema(256), o);
    CAF_REQUIRE(pub.has_value());
  }
  // A dead publisher and a dead reader whose identities are those of a live process (ours).
  poke("lab/reuse",
       offsetof(shm::detail::segment_header, publisher)
           + offsetof(shm::detail::publisher_record, owner),
       me);
  poke("lab/reuse", row_field(o, 3, offsetof(shm::detail::subscriber_row, owner)), me);
  poke("lab/reuse", row_field(o, 3, offsetof(shm::detail::subscriber_row, state)),
       static_cast<uint32_t>(shm::detail::row_state::ready));
  auto shape = shm::detail::layout::compute(o.chunk_size, o.chunk_count, o.max_subscribers,
                                            o.max_queue_depth);
  poke("lab/reuse", shape.held_offset + 3 * shape.held_stride, uint64_t{0xff});
  auto info = inspect("lab/reuse");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK(info.value().publisher_state == liveness::dead);
  auto pub = publisher::open("lab/reuse", tests::test_schema(256), o);
  CAF_REQUIRE(pub.has_value()); // not `already_exists`
  CAF_CHECK_EQUAL(pub.value().subscriber_count(), 0u);
  CAF_CHECK_EQUAL(pub.value().free_chunks(), o.chunk_count);
}

CAF_TEST(latest readers never make the publisher report a spurious pool_exhausted) {
  // 6 chunks, a reader holding at most 4: one is always free or evictable,
  // also when the eviction loses a race with the reader's take.
  tests::scoped_prefix prefix;
  auto o = small(6);
  auto pub = publisher::open("lab/evict", tests::test_schema(256), o).value();
  subscriber_options so;
  so.queue_depth = 8;
  so.busy_poll = true;
  auto sub = subscriber::attach("lab/evict", tests::test_schema(256).id(), so).value();
  std::atomic<bool> done{false};
  std::thread reader{[&] {
    std::deque<frame> kept;
    while (!done.load(std::memory_order_relaxed)) {
      auto f = sub.try_take();
      if (!f)
        continue;
      kept.push_back(std::move(f).value());
      if (kept.size() > 3)
        kept.pop_front();
    }
  }};
  int exhausted = 0;
  for (int i = 0; i < 300'000; ++i) {
    auto r = publish_one(pub);
    if (!r.has_value() && r.error() == errc::pool_exhausted && exhausted++ == 0)
      CAF_MESSAGE(r.error().what());
  }
  done = true;
  reader.join();
  CAF_CHECK_EQUAL(exhausted, 0);
}

CAF_TEST(interrupt always wakes a sleeping take) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/intr", tests::test_schema(256), small()).value();
  auto sub = subscriber::attach("lab/intr", tests::test_schema(256).id()).value();
  // A lost wake-up leaves take asleep for its whole slice (200 ms): count those.
  int late = 0;
  for (int i = 0; i < 300; ++i) {
    std::atomic<bool> started{false};
    std::thread waiter{[&] {
      started = true;
      auto t0 = std::chrono::steady_clock::now();
      auto r = sub.take(30s);
      if (std::chrono::steady_clock::now() - t0 >= 150ms)
        ++late;
      CAF_CHECK(!r.has_value() && contains(r.error(), "interrupted"));
    }};
    while (!started)
      std::this_thread::yield();
    sub.interrupt();
    waiter.join();
  }
  CAF_CHECK_EQUAL(late, 0);
}

CAF_TEST(a publisher that forked and closed is gone although its child holds its lock) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/forked", tests::test_schema(256), small());
  CAF_REQUIRE(pub.has_value());
  subscriber_options so;
  auto sub = subscriber::attach("lab/forked", tests::test_schema(256).id(), so);
  CAF_REQUIRE(sub.has_value());
  // The child shares the publisher's open file description, hence its lock.
  auto child = launch::child_process::fork([] {
    pause();
    return 0;
  });
  CAF_REQUIRE(child.has_value());
  { auto closing = std::move(pub).value(); }
  auto taken = sub.value().take(10s);
  child.value().kill_and_reap();
  CAF_REQUIRE(!taken.has_value());
  CAF_CHECK_EQUAL(taken.error().code, errc::publisher_gone);
  CAF_CHECK(contains(taken.error(), "left"));
  CAF_CHECK(!sub.value().publisher_alive());
  auto info = inspect("lab/forked");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK(!info.value().publisher_alive);
}

CAF_TEST(a segment file cut short under a held frame is an error and no bus error) {
  tests::scoped_prefix prefix;
  auto o = small();
  o.chunk_size = 64 * 1024;
  auto pub = publisher::open("lab/cut", tests::test_schema(256), o).value();
  auto sub = subscriber::attach("lab/cut", tests::test_schema(256).id(), {}).value();
  CAF_REQUIRE(publish_one(pub).has_value());
  auto held = sub.take(1s);
  CAF_REQUIRE(held.has_value());
  // Another process cuts the file at a page boundary before the chunks.
  auto shape = shm::detail::layout::compute(o.chunk_size, o.chunk_count, o.max_subscribers,
                                            o.max_queue_depth);
  auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  int fd = shm_open(segment_name("lab/cut").c_str(), O_RDWR, 0);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(ftruncate(fd, static_cast<off_t>(shape.chunks_offset / page * page)) == 0);
  close(fd);
  // The held frame's pages are gone: reading it would raise SIGBUS.
  unsigned sum = 0;
  for (auto b : held.value().payload())
    sum += static_cast<unsigned>(b);
  CAF_MESSAGE("held frame reads as " << sum << " after the cut");
  auto t = sub.try_take();
  CAF_REQUIRE(!t.has_value());
  CAF_MESSAGE(t.error().what());
  CAF_CHECK(t.error() == errc::segment_too_small);
  CAF_CHECK(contains(t.error(), "cut short"));
  auto r = publish_one(pub);
  CAF_REQUIRE(!r.has_value());
  CAF_CHECK(r.error() == errc::segment_too_small);
  // Newcomers are refused by the size check of open.
  auto late = subscriber::attach("lab/cut", tests::test_schema(256).id(), {});
  CAF_REQUIRE(!late.has_value());
  CAF_MESSAGE(late.error().what());
}

namespace {

uint64_t roster_word(const std::string& channel) {
  uint64_t word = 0;
  int fd = shm_open(segment_name(channel).c_str(), O_RDONLY, 0);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(pread(fd, &word, sizeof word, offsetof(shm::detail::segment_header, roster))
              == static_cast<ssize_t>(sizeof word));
  close(fd);
  return word;
}

} // namespace

CAF_TEST(the roster lists taken rows and survives being overwritten) {
  // A publish visits the rows of the roster only; its bits follow the rows'
  // claims and reaps, and a roster cleared by another process is restored
  // by the publisher's maintenance (every 100 ms).
  tests::scoped_prefix prefix;
  auto o = small();
  auto pub = publisher::open("lab/roster", tests::test_schema(256), o);
  CAF_REQUIRE(pub.has_value());
  CAF_CHECK_EQUAL(roster_word("lab/roster"), 0u);
  subscriber_options latest;
  latest.queue_depth = 8;
  auto sub = subscriber::attach("lab/roster", tests::test_schema(256).id(), latest);
  CAF_REQUIRE(sub.has_value());
  auto bit = uint64_t{1} << sub.value().row();
  CAF_CHECK_EQUAL(roster_word("lab/roster"), bit);
  CAF_REQUIRE(publish_one(pub.value()).has_value());
  CAF_CHECK(sub.value().try_take().has_value());

  // Cleared by someone else: the publisher no longer sees the reader...
  poke("lab/roster", offsetof(shm::detail::segment_header, roster), uint64_t{0});
  CAF_REQUIRE(publish_one(pub.value()).has_value());
  CAF_CHECK(sub.value().try_take().error() == errc::would_block);
  // ...until its maintenance lists the row again; then frames come.
  bool delivered = dxhub::test::wait_until(
      [&] {
        CAF_REQUIRE(publish_one(pub.value()).has_value());
        return sub.value().try_take().has_value();
      },
      5s);
  CAF_CHECK(delivered);
  CAF_CHECK_EQUAL(roster_word("lab/roster"), bit);

  // A bit nobody's row needs costs one look and changes nothing.
  poke("lab/roster", offsetof(shm::detail::segment_header, roster), bit | (uint64_t{1} << 5));
  CAF_REQUIRE(publish_one(pub.value()).has_value());
  CAF_CHECK(sub.value().try_take().has_value());

  // The reader leaves: the publisher reaps its row and unlists it.
  sub = subscriber::attach("lab/roster", tests::test_schema(256).id(), latest); // a second row
  CAF_REQUIRE(sub.has_value());
  auto second = uint64_t{1} << sub.value().row();
  CAF_CHECK_NOT_EQUAL(second, bit);
  bool reaped = dxhub::test::wait_until(
      [&] {
        CAF_REQUIRE(publish_one(pub.value()).has_value());
        return (roster_word("lab/roster") & bit) == 0;
      },
      5s);
  CAF_CHECK(reaped);
  CAF_CHECK_EQUAL(roster_word("lab/roster") & second, second);
}
