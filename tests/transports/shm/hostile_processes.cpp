#define CAF_SUITE shm.hostile_processes
// Issue 18 with real processes: peers the publisher cannot see in /proc, a
// publisher without a free descriptor, a third process writing garbage into
// a live segment, and a table full of dead readers with no publisher running.
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/tests/transports/shm/process_results.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/detail/layout.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/segment_name.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <fcntl.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono_literals;

namespace {

using dxhub::test::child_process;

std::vector<std::string> peer(std::vector<std::string> args) {
  args.insert(args.begin(), tests::peer_program());
  return args;
}

// The same, run as PID 1 of a new PID namespace: it cannot be found in our
// /proc under the pid it believes it has (and reads the identity of our init).
std::vector<std::string> namespaced(std::vector<std::string> args) {
  auto v = peer(std::move(args));
  v.insert(v.begin(), {"/usr/bin/unshare", "--pid", "--fork", "--kill-child"});
  return v;
}

// Writes `n` bytes at `offset` of the channel's segment file, as a third process would.
void poke(const std::string& channel, std::size_t offset, const void* bytes, std::size_t n) {
  int fd = shm_open(segment_name(channel).c_str(), O_RDWR, 0);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(pwrite(fd, bytes, n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n));
  close(fd);
}

template <class T>
void poke_value(const std::string& channel, std::size_t offset, T value) {
  poke(channel, offset, &value, sizeof value);
}

std::size_t row_offset(uint32_t row, std::size_t field) {
  auto shape = shm::detail::layout::compute(1024, 8, 64, 64);
  return shape.subscribers_offset + row * sizeof(shm::detail::subscriber_row) + field;
}

// A publisher running flat out on an 8-chunk pool (chunks are reused at
// once) and one reader holding 3 frames: the reader must keep receiving,
// its held frames must never change, it must never hear publisher_gone.
void run_flat_out(std::vector<std::string> pub_args, bool reader_in_namespace) {
  tests::scoped_prefix prefix;
  pub_args.insert(pub_args.end(), {"role=pub", "channel=hostile/x", "size=1024", "chunks=8",
                                   "run_ms=5000", "min_subs=1", "drain_ms=3000"});
  child_process pub{peer(pub_args)};
  CAF_REQUIRE(tests::wait_for_line(pub, "session", 10s).has_value());
  std::vector<std::string> sub_args{"role=sub",      "channel=hostile/x", "size=1024",
                                    "policy=latest", "depth=2",           "hold=3",
                                    "idle_ms=1500"};
  child_process sub{reader_in_namespace ? namespaced(sub_args) : peer(sub_args)};
  CAF_REQUIRE(tests::wait_for_line(sub, "ready", 10s).has_value());
  // While it runs, the reader is seen alive (inspect proves it by its lock).
  auto info = inspect("hostile/x");
  CAF_REQUIRE(info.has_value());
  CAF_REQUIRE_EQUAL(info.value().subscribers.size(), 1u);
  CAF_CHECK(info.value().subscribers[0].state == liveness::alive);
  auto line = tests::wait_for_line(sub, "result", 20s);
  CAF_REQUIRE(line.has_value());
  CAF_MESSAGE("reader: " << *line);
  auto f = tests::parse_fields(*line);
  CAF_CHECK_EQUAL(f["torn"], 0);
  CAF_CHECK_EQUAL(f["held_ok"], 1);
  CAF_CHECK_EQUAL(f["gone"], 0); // the publisher drains after them: never taken for gone
  CAF_CHECK_EQUAL(f["errors"], 0);
  CAF_CHECK(f["delivered"] > 1000);
  auto result = tests::wait_for_line(pub, "result", 20s);
  CAF_REQUIRE(result.has_value());
  CAF_MESSAGE("publisher: " << *result);
  auto p = tests::parse_fields(*result);
  CAF_CHECK_EQUAL(p["errors"], 0);
  CAF_CHECK_EQUAL(p["free"], 8);
  CAF_CHECK(pub.exit_code(10s) == std::optional<int>{0});
  CAF_CHECK(sub.exit_code(10s) == std::optional<int>{0});
}

} // namespace

CAF_TEST(a reader in its own PID namespace is not taken for dead) {
  run_flat_out({}, true);
}

CAF_TEST(a publisher without a free descriptor does not take its reader for dead) {
  run_flat_out({"exhaust_fds=1"}, false);
}

CAF_TEST(fields corrupted by a third process are errors and hurt nobody) {
  using shm::detail::segment_header;
  using shm::detail::subscriber_row;
  struct damage {
    const char* what;
    std::size_t offset;
    uint64_t value;
    std::size_t bytes;
  };
  const damage cases[] = {
      {"row depth 0", row_offset(0, offsetof(subscriber_row, depth)), 0, 4},
      {"row head beyond tail", row_offset(0, offsetof(subscriber_row, head)), uint64_t{1} << 40, 8},
      {"ring capacity 0", offsetof(segment_header, ring_capacity), 0, 4},
      {"chunk count raised", offsetof(segment_header, chunk_count), 1u << 20, 4},
  };
  for (const auto& d : cases) {
    CAF_MESSAGE("damage: " << d.what);
    tests::scoped_prefix prefix;
    child_process pub{peer({"role=pub", "channel=hostile/c", "size=1024", "chunks=8", "run_ms=1500",
                            "min_subs=1", "reliable_ms=200"})};
    CAF_REQUIRE(tests::wait_for_line(pub, "session", 10s).has_value());
    child_process sub{peer({"role=sub", "channel=hostile/c", "size=1024", "policy=reliable",
                            "depth=4", "hold=1", "idle_ms=700"})};
    CAF_REQUIRE(tests::wait_for_line(sub, "ready", 10s).has_value());
    // Damaged while frames flow.
    CAF_CHECK(dxhub::test::wait_until([&] { return tests::delivered_to("hostile/c", 1); }, 10s));
    if (d.bytes == 4)
      poke_value("hostile/c", d.offset, static_cast<uint32_t>(d.value));
    else
      poke_value("hostile/c", d.offset, d.value);
    auto p = tests::wait_for_line(pub, "result", 20s);
    CAF_REQUIRE(p.has_value());
    CAF_MESSAGE("publisher: " << *p);
    auto s = tests::wait_for_line(sub, "result", 20s);
    CAF_REQUIRE(s.has_value());
    CAF_MESSAGE("reader: " << *s);
    // Bounded and no signal: both end by themselves with exit code 0.
    CAF_CHECK(pub.exit_code(10s) == std::optional<int>{0});
    CAF_CHECK(sub.exit_code(10s) == std::optional<int>{0});
    auto pf = tests::parse_fields(*p);
    auto sf = tests::parse_fields(*s);
    CAF_CHECK_EQUAL(sf["torn"], 0);
    // Each damage is reported by someone as an error naming it.
    CAF_CHECK(pf["errors"] + sf["errors"] > 0);
  }
}

CAF_TEST(readers killed with no publisher running do not fill the table) {
  tests::scoped_prefix prefix;
  channel_options o;
  o.chunk_size = 1024;
  o.chunk_count = 8;
  o.max_subscribers = 64;
  {
    auto pub = publisher::open("hostile/full", tests::test_schema(1024), o);
    CAF_REQUIRE(pub.has_value());
  } // the publisher leaves: nobody frees rows from now on but the readers
  std::vector<child_process> dead;
  for (int i = 0; i < 64; ++i)
    dead.emplace_back(peer({"role=sub", "channel=hostile/full", "size=1024", "idle_ms=30000"}));
  for (auto& r : dead)
    CAF_REQUIRE(tests::wait_for_line(r, "ready", 20s).has_value());
  for (auto& r : dead)
    r.kill(SIGKILL);
  for (auto& r : dead)
    r.exit_code(5s);
  std::vector<subscriber> fresh;
  for (int i = 0; i < 64; ++i) {
    auto s = subscriber::attach("hostile/full", tests::test_schema(1024).id());
    if (!s) {
      CAF_FAIL("attach " << i << ": " << s.error().what());
    }
    fresh.push_back(std::move(s).value());
  }
  auto more = subscriber::attach("hostile/full", tests::test_schema(1024).id());
  CAF_CHECK(more.error() == errc::subscribers_full); // all 64 alive now: none is taken
  auto info = inspect("hostile/full");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK_EQUAL(info.value().subscribers.size(), 64u);
  for (auto& s : info.value().subscribers)
    CAF_CHECK(s.state == liveness::alive);
}

CAF_TEST(frames queued to a damaged row stay whole until its reader takes them) {
  // The publisher stops feeding a row whose depth a third process zeroed,
  // but the frames already in its queue are its reader's to take: reusing
  // their chunks under it would tear them.
  tests::scoped_prefix prefix;
  channel_options o;
  o.chunk_size = 1024;
  o.chunk_count = 8;
  auto pub = publisher::open("hostile/q", tests::test_schema(1024), o).value();
  subscriber_options so;
  so.mode = policy::reliable;
  so.queue_depth = 4;
  auto sub = subscriber::attach("hostile/q", tests::test_schema(1024).id(), so).value();
  auto publish_filled = [&](std::byte value) {
    auto loan = pub.loan_chunk().value();
    std::ranges::fill(loan.payload(), value);
    return pub.publish(std::move(loan));
  };
  for (int i = 1; i <= 3; ++i)
    CAF_REQUIRE(publish_filled(std::byte(i)).has_value());
  poke_value("hostile/q", row_offset(0, offsetof(shm::detail::subscriber_row, depth)), uint32_t{0});
  CAF_CHECK(!publish_filled(std::byte{4})); // the damage is reported
  for (int i = 0; i < 40; ++i)              // every chunk the pool gives out, many times
    (void)publish_filled(std::byte{0xee});
  for (int i = 1; i <= 3; ++i) {
    auto f = sub.try_take();
    CAF_REQUIRE(f.has_value());
    auto bytes = f.value().payload();
    CAF_CHECK(std::ranges::all_of(bytes, [&](std::byte b) { return b == std::byte(i); }));
  }
}
