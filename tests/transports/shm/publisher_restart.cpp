#define CAF_SUITE shm.publisher_restart
// Acceptance 3: the publisher is killed in the middle of writing a frame and
// restarted; readers are told within a second, keep their frames, and resume.
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/transports/shm/process_results.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/inspect.hpp"

#include <chrono>
#include <csignal>
#include <ctime>
#include <vector>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono_literals;

namespace {

constexpr int frames = 500;

int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

dxhub::test::child_process reader(const std::string& policy, const std::string& extra) {
  return dxhub::test::child_process{{tests::peer_program(), "role=sub", "channel=restart/x",
                                     "size=4096", "policy=" + policy, "depth=8", "hold=2",
                                     "sessions=2", "last=" + std::to_string(frames - 1),
                                     "idle_ms=15000", extra}};
}

dxhub::test::child_process publisher_process(const std::string& extra) {
  return dxhub::test::child_process{{tests::peer_program(), "role=pub", "channel=restart/x",
                                     "size=4096", "chunks=16", "min_subs=3",
                                     "frames=" + std::to_string(frames), extra}};
}

} // namespace

CAF_TEST(a publisher killed mid write is reported within a second and its successor resumes) {
  tests::scoped_prefix prefix;
  auto first = publisher_process("hang_after=" + std::to_string(frames));
  auto first_session = tests::wait_for_line(first, "session", 10s);
  CAF_REQUIRE(first_session.has_value());
  std::vector<dxhub::test::child_process> readers;
  readers.push_back(reader("latest", "busy=0"));
  readers.push_back(reader("reliable", "busy=0"));
  readers.push_back(reader("latest", "busy=1"));
  for (auto& r : readers)
    CAF_REQUIRE(tests::wait_for_line(r, "ready", 10s).has_value());
  CAF_REQUIRE(tests::wait_for_line(first, "mid-write", 30s).has_value());
  first.kill(SIGKILL);
  auto killed_at = mono_ns();
  first.exit_code(5s);
  for (auto& r : readers) {
    auto gone = tests::wait_for_line(r, "gone", 3s);
    CAF_REQUIRE(gone.has_value());
    auto told_after_ms = (std::stoll(gone->substr(5)) - killed_at) / 1'000'000;
    CAF_MESSAGE("reader told " << told_after_ms << " ms after the kill");
    CAF_CHECK(told_after_ms < 1000);
  }
  auto second = publisher_process("drain_ms=0");
  auto second_session = tests::wait_for_line(second, "session", 10s);
  CAF_REQUIRE(second_session.has_value());
  CAF_CHECK(*second_session != *first_session);
  for (std::size_t i = 0; i < readers.size(); ++i) {
    auto line = tests::wait_for_line(readers[i], "result", 30s);
    CAF_REQUIRE(line.has_value());
    CAF_MESSAGE("reader " << i << ": " << *line);
    auto f = tests::parse_fields(*line);
    CAF_CHECK_EQUAL(f["torn"], 0); // the half-written frame was never seen
    CAF_CHECK_EQUAL(f["disorder"], 0);
    CAF_CHECK_EQUAL(f["sessions"], 2);
    CAF_CHECK_EQUAL(f["held_ok"], 1); // frames kept across the crash stayed intact
    if (i == 1) {
      CAF_CHECK_EQUAL(f["gaps"], 0);
      CAF_CHECK_EQUAL(f["delivered"], 2 * frames);
    }
  }
  CAF_REQUIRE(tests::wait_for_line(second, "result", 20s).has_value());
  CAF_CHECK(second.exit_code(10s) == std::optional<int>{0});
  auto info = inspect("restart/x");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK_EQUAL(info.value().sessions, 2u);
}
