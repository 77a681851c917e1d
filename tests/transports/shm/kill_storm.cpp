#define CAF_SUITE shm.kill_storm
// Acceptance 2: readers are kill -9ed at random moments while a publisher
// runs flat out; nothing leaks, the publisher never waits on the dead. Half
// of the readers run in PID namespaces of their own (unshare --pid): the
// publisher cannot find them in /proc and must still never take them for dead.
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/tests/transports/shm/process_results.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/inspect.hpp"

#include <chrono>
#include <csignal>
#include <random>
#include <thread>
#include <vector>

using namespace dxhub;
using namespace dxhub::shm;
using namespace std::chrono_literals;

namespace {

constexpr int pool_readers = 6;
constexpr int kills_wanted = 320;

dxhub::test::child_process start_reader(std::mt19937& rng) {
  static const char* holds[] = {"hold=0", "hold=1", "hold=3"};
  static const char* policies[] = {"reliable", "latest", "newest"};
  std::vector<std::string> argv{tests::peer_program(),
                                "role=sub",
                                "channel=storm/x",
                                "size=1024",
                                std::string{"policy="} + policies[rng() % 3],
                                std::string{"depth="} + (rng() % 2 ? "2" : "8"),
                                holds[rng() % 3],
                                "idle_ms=1500"};
  if (rng() % 2 == 0) // PID 1 of its own namespace; killing unshare kills it too
    argv.insert(argv.begin(), {"/usr/bin/unshare", "--pid", "--fork", "--kill-child"});
  return dxhub::test::child_process{argv};
}

} // namespace

CAF_TEST(three hundred kill - 9 of readers leave the pool free and the survivors intact) {
  tests::scoped_prefix prefix;
  std::mt19937 rng{static_cast<unsigned>(getpid())};
  dxhub::test::child_process pub{{tests::peer_program(), "role=pub", "channel=storm/x", "size=1024",
                                  "chunks=32", "run_ms=100000", "drain_ms=10000"}};
  CAF_REQUIRE(tests::wait_for_line(pub, "session", 10s).has_value());
  std::vector<dxhub::test::child_process> readers;
  for (int i = 0; i < pool_readers; ++i)
    readers.push_back(start_reader(rng));
  int kills = 0;
  auto started = std::chrono::steady_clock::now();
  while (kills < kills_wanted && std::chrono::steady_clock::now() - started < 50s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2 + rng() % 20)); // deliberate load
    auto victim = rng() % pool_readers;
    readers[victim].kill(SIGKILL);
    readers[victim].exit_code(5s); // reap it
    ++kills;
    readers[victim] = start_reader(rng);
  }
  CAF_MESSAGE(kills << " readers killed in "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count()
                    << " ms");
  CAF_CHECK(kills >= 300);
  // Once the last replacements attached and each got frames, stop the publisher.
  for (auto& r : readers)
    CAF_CHECK(tests::wait_for_line(r, "ready", 10s).has_value());
  // Each survivor says when its first frame came. (Counting rows fed by
  // frames could count a killed reader's row: in a pid namespace of its
  // own, the reader dies a moment after its `unshare` parent was reaped.)
  for (auto& r : readers)
    CAF_CHECK(tests::wait_for_line(r, "first", 20s).has_value());
  pub.kill(SIGUSR1);
  for (auto& r : readers) {
    auto line = tests::wait_for_line(r, "result", 20s);
    CAF_REQUIRE(line.has_value());
    auto f = tests::parse_fields(*line);
    CAF_CHECK_EQUAL(f["torn"], 0);
    CAF_CHECK_EQUAL(f["disorder"], 0);
    CAF_CHECK_EQUAL(f["held_ok"], 1);
    CAF_CHECK_EQUAL(f["gone"], 0); // the publisher outlives them: never taken for gone
    CAF_CHECK_EQUAL(f["errors"], 0);
    CAF_CHECK(f["delivered"] > 0);
  }
  auto result = tests::wait_for_line(pub, "result", 30s);
  CAF_REQUIRE(result.has_value());
  CAF_MESSAGE("publisher: " << *result);
  auto f = tests::parse_fields(*result);
  CAF_CHECK(f["published"] > 0);
  CAF_CHECK(f["max_publish_us"] < 1'000'000); // never blocked past the reclamation bound
  CAF_CHECK_EQUAL(f["exhausted"], 0);
  CAF_CHECK_EQUAL(f["free"], 32); // the pool is whole again
  CAF_CHECK_EQUAL(f["subscribers"], 0);
  CAF_CHECK(pub.exit_code(10s) == std::optional<int>{0});
  auto info = inspect("storm/x");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK_EQUAL(info.value().chunks_free, 32u);
}
