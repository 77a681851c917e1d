#define CAF_SUITE bench.baselines
#include "dxhub/benchmarks/baselines/baselines.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <unistd.h>

using namespace dxhub;
using namespace dxhub::bench::baselines;

namespace {

latency_options few(std::size_t bytes) {
  latency_options o;
  o.bytes = bytes;
  o.iterations = 200;
  o.warmup = 20;
  return o;
}

bool all_positive(const std::vector<double>& samples) {
  return std::all_of(samples.begin(), samples.end(), [](double s) { return s > 0; });
}

/// Queue names of this process left in /dev/shm.
std::size_t leftover_queues() {
  auto prefix = "dxhub-bench-mq-" + std::to_string(getpid()) + "-";
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm"))
    if (entry.path().filename().string().find(prefix) != std::string::npos)
      ++n;
  return n;
}

} // namespace

CAF_TEST(every latency baseline returns one positive sample per iteration) {
  for (auto samples : {cacheline_pingpong(few(64)), futex_pingpong(few(64)),
                       unix_socket_latency(few(4096)), message_queue_latency(few(4096))}) {
    CAF_CHECK_EQUAL(samples.size(), 200u);
    CAF_CHECK(all_positive(samples));
  }
}

CAF_TEST(large messages travel whole through the socket and the queue) {
  auto o = few(std::size_t{1} << 20);
  o.iterations = 10;
  o.warmup = 2;
  CAF_CHECK_EQUAL(unix_socket_latency(o).size(), 10u);
  CAF_CHECK_EQUAL(message_queue_latency(o).size(), 10u);
}

CAF_TEST(throughput baselines count messages received by the other process) {
  throughput_options o;
  o.bytes = 4096;
  o.duration = std::chrono::milliseconds(100);
  CAF_CHECK_GREATER(unix_socket_throughput(o), 0.0);
  CAF_CHECK_GREATER(message_queue_throughput(o), 0.0);
  CAF_CHECK_GREATER(memcpy_bandwidth(4096, std::chrono::milliseconds(20)), 0.0);
}

CAF_TEST(a message size the queue cannot hold is an error that names it) {
  auto too_big = try_message_queue_latency(few(message_queue_max_bytes + 1));
  CAF_REQUIRE(!too_big);
  CAF_CHECK(too_big.error() == errc::invalid_argument);
  CAF_CHECK(too_big.error().context.find("message size") != std::string::npos);
  CAF_CHECK(!try_unix_socket_latency(few(0)));
  CAF_CHECK(message_queue_latency(few(0)).empty());
}

CAF_TEST(no message queue is left in dev shm) {
  throughput_options o;
  o.duration = std::chrono::milliseconds(20);
  message_queue_throughput(o);
  message_queue_latency(few(64));
  CAF_CHECK_EQUAL(leftover_queues(), 0u);
}

CAF_TEST(the caller thread keeps its CPU affinity) {
  cpu_set_t before, after;
  CAF_REQUIRE_EQUAL(pthread_getaffinity_np(pthread_self(), sizeof before, &before), 0);
  cacheline_pingpong(few(64));
  CAF_REQUIRE_EQUAL(pthread_getaffinity_np(pthread_self(), sizeof after, &after), 0);
  CAF_CHECK(CPU_EQUAL(&before, &after));
}
