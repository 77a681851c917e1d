#define CAF_SUITE zmq.io_loop
#include "dxhub/transports/zmq/io_loop.hpp"

#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/transports/zmq/lab_service.hpp"
#include "dxhub/transports/zmq/endpoint.hpp"

#include <sys/resource.h>

#include <atomic>
#include <future>
#include <thread>

using namespace dxhub;
using namespace dxhub::zmq;
using namespace std::chrono_literals;

namespace {

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
         + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

} // namespace

CAF_TEST(posted work runs on the loop thread in order) {
  io_loop loop;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    loop.post([&, i] { order.push_back(i); });
  auto on_loop = loop.call([&] { return loop.in_loop(); });
  CAF_CHECK(on_loop);
  CAF_CHECK(!loop.in_loop());
  auto seen = loop.call([&] { return order; });
  CAF_REQUIRE_EQUAL(seen.size(), 100u);
  for (int i = 0; i < 100; ++i)
    CAF_CHECK_EQUAL(seen[static_cast<std::size_t>(i)], i);
}

CAF_TEST(timers fire in due order and a cancelled timer never fires) {
  io_loop loop;
  std::promise<std::vector<int>> result;
  auto fired = std::make_shared<std::vector<int>>();
  loop.schedule_after(30ms, [fired] { fired->push_back(30); });
  auto cancelled = loop.schedule_after(20ms, [fired] { fired->push_back(20); });
  loop.schedule_after(10ms, [fired] { fired->push_back(10); });
  loop.schedule_after(60ms, [&, fired] { result.set_value(*fired); });
  loop.cancel(cancelled);
  auto answer = result.get_future();
  CAF_REQUIRE(answer.wait_for(5s) == std::future_status::ready);
  CAF_CHECK_EQUAL(answer.get(), (std::vector<int>{10, 30}));
}

CAF_TEST(handed over work runs after the loop lets go and may use the loop again) {
  io_loop loop;
  std::promise<std::vector<int>> result;
  bool round_over = false;
  loop.post([&] {
    loop.hand_over([&] {
      std::vector<int> seen;
      seen.push_back(round_over); // runs once the loop's round is over
      // Outside the loop, on its thread: dispatch and call take the loop
      // back instead of waiting for this very thread.
      seen.push_back(loop.in_loop());
      seen.push_back(loop.on_loop_thread());
      loop.dispatch([&] { seen.push_back(loop.in_loop()); });
      seen.push_back(loop.call([&] { return loop.in_loop(); }));
      result.set_value(seen);
    });
    round_over = true;
  });
  auto answer = result.get_future();
  CAF_REQUIRE(answer.wait_for(5s) == std::future_status::ready);
  CAF_CHECK_EQUAL(answer.get(), (std::vector<int>{1, 0, 1, 1, 1}));
}

CAF_TEST(an idle loop with sockets uses no CPU) {
  fixture::scratch_dir dir;
  io_loop loop;
  auto srv = server::bind(loop, dir.ipc("idle"), fixture::lab_service);
  CAF_REQUIRE(srv);
  client_options quiet;
  quiet.heartbeat_interval = 0ms; // ZMTP heartbeats off: nothing at all to do
  auto c = client::connect(loop, srv.value()->endpoint(), quiet);
  CAF_REQUIRE(c);
  // Connected: one request answered.
  auto answered = c.value()->call<dxhub::reply>(fixture::double_command(1, 2, "idle"), 10s);
  CAF_REQUIRE(answered.has_value());
  auto before = cpu_seconds();
  std::this_thread::sleep_for(500ms); // deliberate idle: the measured period
  auto used = cpu_seconds() - before;
  CAF_MESSAGE("CPU used while idle for 500 ms: " << used * 1e3 << " ms");
  // A loop that polled with short timeouts would burn far more than this.
  CAF_CHECK(used < 0.02);
}

CAF_TEST(owners can be destroyed after the loop stopped) {
  fixture::scratch_dir dir;
  io_loop loop;
  auto srv = server::bind(loop, dir.ipc("late"), fixture::lab_service);
  CAF_REQUIRE(srv);
  loop.stop();
  srv.value().reset(); // runs its cleanup inline once the loop thread is gone
  CAF_CHECK(true);
}

CAF_TEST(endpoints are checked and tcp stays on loopback unless allowed) {
  auto loopback = parse_endpoint("tcp://:5555");
  CAF_REQUIRE(loopback);
  CAF_CHECK_EQUAL(loopback.value().to_string(), "tcp://127.0.0.1:5555");
  auto ephemeral = parse_endpoint("tcp://127.0.0.1:0");
  CAF_REQUIRE(ephemeral);
  CAF_CHECK_EQUAL(ephemeral.value().to_string(), "tcp://127.0.0.1:*");
  auto all = parse_endpoint("tcp://*:5555");
  CAF_CHECK(!all && all.error().code == errc::permission_denied);
  endpoint_policy open;
  open.allow_all_interfaces = true;
  CAF_CHECK(parse_endpoint("tcp://*:5555", open));
  CAF_CHECK(parse_endpoint("ipc:///tmp/x.sock"));
  CAF_CHECK(!parse_endpoint("ipc://" + std::string(200, 'a')));
  CAF_CHECK(!parse_endpoint("tcp://host"));
  CAF_CHECK(!parse_endpoint("tcp://host:99999"));
  CAF_CHECK(!parse_endpoint("tcp://ho st:1"));
  CAF_CHECK(!parse_endpoint("udp://x:1"));
  CAF_CHECK(!parse_endpoint("no-scheme"));
}
