#define CAF_SUITE shm.fan_out
// Acceptance 1: 64 subscriber processes read one stream; every frame checked.
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/transports/shm/process_results.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/publisher.hpp"

#include <chrono>
#include <vector>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t frame_bytes = 4096;
constexpr int frames = 2000;
constexpr int readers = 64;
constexpr int reliable_readers = 12;
constexpr int slow_readers = 12;

} // namespace

CAF_TEST(sixty four reader processes see every frame intact and reliable ones lose nothing) {
  tests::scoped_prefix prefix;
  channel_options o;
  o.chunk_size = frame_bytes;
  o.chunk_count = 64;
  o.max_subscribers = readers;
  o.reliable_timeout = 10s;
  auto pub = publisher::open("fan/out", tests::test_schema(frame_bytes), o);
  CAF_REQUIRE(pub.has_value());
  std::vector<dxhub::test::child_process> children;
  for (int i = 0; i < readers; ++i) {
    bool reliable = i < reliable_readers;
    bool slow = !reliable && i < reliable_readers + slow_readers;
    children.emplace_back(std::vector<std::string>{
        tests::peer_program(), "role=sub", "channel=fan/out", "size=4096",
        std::string{"policy="} + (reliable ? "reliable" : "latest"),
        std::string{"depth="} + (slow ? "4" : "8"), "last=" + std::to_string(frames - 1),
        std::string{"slow_us="} + (slow ? "2000" : "0"), "idle_ms=20000"});
  }
  for (auto& child : children)
    CAF_REQUIRE(tests::wait_for_line(child, "ready", 30s).has_value());
  CAF_CHECK_EQUAL(pub.value().subscriber_count(), static_cast<std::size_t>(readers));
  int failures = 0;
  for (int i = 0; i < frames; ++i) {
    auto chunk = pub.value().loan_chunk();
    if (!chunk) {
      ++failures;
      continue;
    }
    tests::write_pattern(chunk.value().payload(), pub.value().sequence(), pub.value().session_id());
    failures += pub.value().publish(std::move(chunk).value()) ? 0 : 1;
  }
  CAF_CHECK_EQUAL(failures, 0);
  uint64_t slow_dropped = 0;
  for (int i = 0; i < readers; ++i) {
    auto line = tests::wait_for_line(children[i], "result", 60s);
    CAF_REQUIRE(line.has_value());
    auto r = tests::parse_fields(*line);
    bool reliable = i < reliable_readers;
    bool slow = !reliable && i < reliable_readers + slow_readers;
    if (i == 0 || i == reliable_readers || i == readers - 1)
      CAF_MESSAGE("reader " << i << ": " << *line);
    CAF_CHECK_EQUAL(r["torn"], 0);
    CAF_CHECK_EQUAL(r["disorder"], 0);
    CAF_CHECK_EQUAL(r["delivered"] + r["dropped"], frames);
    if (reliable) {
      CAF_CHECK_EQUAL(r["delivered"], frames);
      CAF_CHECK_EQUAL(r["gaps"], 0);
      CAF_CHECK_EQUAL(r["dropped"], 0);
    }
    if (slow) {
      CAF_CHECK(r["dropped"] > 0); // artificially slow latest readers report their drops
      slow_dropped += static_cast<uint64_t>(r["dropped"]);
    }
    CAF_CHECK(children[i].exit_code(10s) == std::optional<int>{0});
  }
  CAF_MESSAGE("slow latest readers dropped " << slow_dropped << " frames in all");
}
