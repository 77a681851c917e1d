#define CAF_SUITE runtime.shm_channel
#include "dxhub/tests/support/caf_test.hpp"

// Channels between processes on one host: the publisher is a real child
// process, the subscriber an actor here; frames travel through the
// publisher's shared-memory chunks.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <csignal>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

using namespace dxhub;
using namespace dxhub::runtime;
using namespace std::chrono_literals;
using dxhub::test::child_process;
using dxhub::test::forwarder;
using dxhub::test::must_arrive;

namespace {

/// Every test runs under its own segment prefix and removes its segments.
struct shm_fixture : dxhub::test::node_fixture {
  shm_fixture() : node_fixture(true) {}
  ~shm_fixture() {
    // Channels and what lives beside them (work group tables).
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator{"/dev/shm", ignored})
      if (entry.path().filename().string().rfind(shm::segment_prefix(), 0) == 0)
        std::filesystem::remove(entry.path(), ignored);
  }
  static inline const bool isolated = [] {
    auto prefix = "dxhub-test." + std::to_string(getpid()) + ".";
    setenv("DXHUB_SHM_PREFIX", prefix.c_str(), 1);
    return true;
  }();
};

child_process start_publisher(const std::string& channel, int count, int interval_ms) {
  return child_process{{dxhub::test::built_program("tests/runtime/runtime_peer"), "publish",
                        channel, std::to_string(count), std::to_string(interval_ms)}};
}

/// Reads "LOAN seq chunk" lines until `count` of them came (or "ERROR").
std::map<uint64_t, uint32_t> read_loans(child_process& pub, int count) {
  std::map<uint64_t, uint32_t> loans;
  while (static_cast<int>(loans.size()) < count) {
    auto line = pub.read_line(must_arrive);
    if (!line)
      break;
    std::istringstream in{*line};
    std::string word;
    in >> word;
    if (word == "ERROR")
      CAF_FAIL("publisher: " << *line);
    uint64_t seq = 0;
    uint32_t chunk = 0;
    if (word == "LOAN" && in >> seq >> chunk)
      loans[seq] = chunk;
  }
  return loans;
}

uint64_t read_session(child_process& pub) {
  auto line = pub.read_line(must_arrive);
  CAF_REQUIRE(line && line->rfind("SESSION ", 0) == 0);
  return std::stoull(line->substr(8));
}

void wait_for_subscribers(const std::string& channel, std::size_t count) {
  auto subscribed = [&] {
    auto info = shm::inspect(channel);
    return info && info.value().subscribers.size() == count;
  };
  if (dxhub::test::wait_until(subscribed, must_arrive))
    return;
  CAF_FAIL("channel '" << channel << "' never had " << count << " subscribers");
}

/// Publishes frames first..first+count-1, one every 0.5 ms.
void publish_frames(publisher& pub, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    auto loan = pub.loan();
    CAF_REQUIRE(loan);
    dxhub::test::fill(loan.value(), static_cast<uint16_t>(i));
    CAF_REQUIRE(pub.publish(std::move(loan.value())));
    std::this_thread::sleep_for(500us); // deliberate load: a paced stream
  }
}

/// Reads "GOT seq" lines of `members` until `count` frames came; fails on a
/// frame handled twice.
void collect(std::vector<child_process>& members, std::size_t count,
             std::map<uint64_t, int>& handled_by, std::vector<int>& per_member) {
  auto deadline = std::chrono::steady_clock::now() + must_arrive;
  std::size_t got = 0;
  while (got < count && std::chrono::steady_clock::now() < deadline)
    for (std::size_t i = 0; i < members.size(); ++i)
      while (auto line = members[i].read_line(5ms)) {
        if (line->rfind("GOT ", 0) != 0)
          continue;
        auto seq = std::stoull(line->substr(4));
        auto [at, fresh] = handled_by.emplace(seq, static_cast<int>(i));
        if (!fresh)
          CAF_FAIL("frame " << seq << " handled twice");
        ++per_member[i];
        ++got;
      }
  CAF_CHECK_EQUAL(got, count);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(shm_channel_tests, shm_fixture)

CAF_TEST(frames_from_another_process_arrive_zero_copy_intact_in_order) {
  auto channel = std::string{"test/cam/raw"};
  subscription_options opts;
  opts.policy = policy::reliable;
  opts.queue_depth = 16;
  opts.window = 4;
  auto sub = spawn(forwarder, caf::actor{self}, channel, opts);
  constexpr int frames = 200;
  auto pub = start_publisher(channel, frames, 0);
  auto session = read_session(pub);
  std::vector<frame> received;
  bool attached = false;
  while (static_cast<int>(received.size()) < frames) {
    bool timed_out = false;
    self->receive(
        [&](const frame& f) {
          // Keep a few handles alive past the window to prove they stay valid;
          // drop the rest so the window moves on.
          if (received.size() < 2)
            received.push_back(f);
          else
            received.push_back(frame{});
          auto i = static_cast<uint16_t>(received.size() - 1);
          CAF_CHECK(f.header().sequence == i);
          CAF_CHECK(f.header().session == session);
          CAF_CHECK(f.transport() == transport::shm);
          CAF_CHECK(dxhub::test::intact(f, i));
        },
        [&](const channel_status& s) {
          CAF_CHECK(s.what == channel_status::state::attached);
          attached = true;
        },
        caf::after(must_arrive) >> [&] { timed_out = true; });
    if (timed_out)
      CAF_FAIL("only " << received.size() << " of " << frames << " frames arrived");
  }
  CAF_CHECK(attached);
  // Zero copy: the frames' bytes are the chunks the publisher wrote into.
  auto loans = read_loans(pub, frames);
  CAF_REQUIRE_EQUAL(loans.size(), static_cast<std::size_t>(frames));
  CAF_CHECK(received[0].segment() == shm::segment_name(channel));
  CAF_CHECK(received[0].chunk_index() == loans[0]);
  CAF_CHECK(received[1].chunk_index() == loans[1]);
  CAF_CHECK(dxhub::test::intact(received[0], 0));
  CAF_CHECK(dxhub::test::intact(received[1], 1));
  // A copy of a handle shares the mapped bytes.
  auto copy = received[0];
  CAF_CHECK(copy.payload().data() == received[0].payload().data());
}

CAF_TEST(a_dead_publisher_is_reported_and_its_successor_picked_up) {
  auto channel = std::string{"test/cam/restart"};
  subscription_options opts;
  opts.policy = policy::reliable;
  auto sub = spawn(forwarder, caf::actor{self}, channel, opts);
  auto first = start_publisher(channel, 5, 0);
  auto first_session = read_session(first);
  CAF_REQUIRE_EQUAL(read_loans(first, 5).size(), 5u);
  std::optional<frame> held;
  int frames = 0;
  while (frames < 5)
    self->receive(
        [&](const frame& f) {
          if (!held)
            held = f;
          ++frames;
        },
        [](const channel_status&) {},
        caf::after(must_arrive) >> [&] { CAF_FAIL("frames of the first publisher missing"); });
  first.kill(SIGKILL);
  CAF_REQUIRE(first.exit_code(must_arrive).has_value());
  bool gone = false;
  while (!gone)
    self->receive(
        [&](const channel_status& s) { gone = s.what == channel_status::state::publisher_gone; },
        caf::after(must_arrive) >> [&] { CAF_FAIL("the publisher's death was not reported"); });
  // A frame held across the death stays readable.
  CAF_CHECK(dxhub::test::intact(*held, 0));
  auto second = start_publisher(channel, 3, 0);
  auto second_session = read_session(second);
  CAF_CHECK(second_session != first_session);
  std::vector<uint64_t> sessions;
  while (sessions.size() < 3)
    self->receive(
        [&](const frame& f) {
          sessions.push_back(f.header().session);
          CAF_CHECK(dxhub::test::intact(f, static_cast<uint16_t>(f.header().sequence)));
        },
        [&](const channel_status& s) {
          if (s.what == channel_status::state::attached)
            CAF_CHECK(s.session == second_session);
        },
        caf::after(must_arrive) >> [&] { CAF_FAIL("frames of the restarted publisher missing"); });
  for (auto s : sessions)
    CAF_CHECK(s == second_session);
}

CAF_TEST(a_subscriber_expecting_another_schema_is_refused_naming_both) {
  auto channel = std::string{"test/cam/schema"};
  auto pub = start_publisher(channel, 1, 0);
  read_session(pub);
  subscription_options opts;
  opts.expect = dxhub::test::camera_schema("test.other", 4).id();
  auto sub = spawn(forwarder, caf::actor{self}, channel, opts);
  self->receive(
      [&](const channel_status& s) {
        CAF_CHECK(s.what == channel_status::state::refused);
        CAF_CHECK(s.code == errc::schema_mismatch);
        CAF_MESSAGE(s.detail);
        CAF_CHECK(s.detail.find("test.other v4") != std::string::npos);
        CAF_CHECK(s.detail.find("test.camera v1") != std::string::npos);
      },
      caf::after(must_arrive) >> [&] { CAF_FAIL("no refusal"); });
}

CAF_TEST(a_work_group_of_three_processes_handles_every_frame_once) {
  const std::string channel = "test/work/frames";
  auto pub = publish(node, channel, dxhub::test::camera_schema());
  CAF_REQUIRE(pub);
  std::vector<child_process> members;
  for (int i = 0; i < 3; ++i) {
    members.emplace_back(std::vector<std::string>{
        dxhub::test::built_program("tests/runtime/runtime_peer"), "work", channel, "crew", "2"});
    auto line = members.back().read_line(must_arrive);
    CAF_REQUIRE(line && *line == "READY");
  }
  wait_for_subscribers(channel, 3);
  // One frame every 0.5 ms, each taking a member 2 ms: the group must share.
  std::map<uint64_t, int> handled_by;
  std::vector<int> per_member(members.size());
  publish_frames(pub.value(), 0, 300);
  collect(members, 300, handled_by, per_member);
  CAF_CHECK_EQUAL(handled_by.size(), 300u);
  for (std::size_t i = 0; i < members.size(); ++i) {
    CAF_MESSAGE("member " << i << " handled " << per_member[i] << " frames");
    CAF_CHECK(per_member[i] > 0);
  }
  // Documented: frames a killed member held are lost, not redelivered; the
  // others go on with every later frame, each handled once.
  members[0].kill(SIGKILL);
  (void)members[0].exit_code(must_arrive); // reaped: the publisher's next frame reclaims its place
  publish_frames(pub.value(), 300, 300);
  std::vector<child_process> survivors;
  survivors.push_back(std::move(members[1]));
  survivors.push_back(std::move(members[2]));
  std::vector<int> after(2);
  collect(survivors, 300, handled_by, after);
  CAF_CHECK_EQUAL(handled_by.size(), 600u);
  CAF_CHECK(after[0] > 0 && after[1] > 0);
}

CAF_TEST(a_frame_loaned_from_another_channel_is_refused_naming_the_channel) {
  auto r = dxhub::test::publish_foreign_loan(node);
  CAF_CHECK(r.via == transport::shm);
  CAF_REQUIRE(r.refused);
  CAF_CHECK(r.refused->code == errc::invalid_argument);
  CAF_CHECK(r.refused->context.find("test/loan/b") != std::string::npos);
  CAF_CHECK(r.own_published); // the publisher it came from still publishes its own
}

CAF_TEST_FIXTURE_SCOPE_END()
