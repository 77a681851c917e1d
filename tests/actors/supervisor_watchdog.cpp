#define CAF_SUITE actors.supervisor_watchdog
#include "dxhub/actors/supervisor.hpp"
#include "dxhub/tests/actors/supervision.hpp"
#include "dxhub/tests/support/caf_test.hpp"

using namespace dxhub;
using namespace dxhub::test;
using namespace std::chrono_literals;
using actors::restart_strategy;
using strings = std::vector<std::string>;

namespace {

struct watchdog_fixture : supervision_fixture {
  actors::child_spec watched(std::string name) {
    auto spec = child(std::move(name));
    spec.watchdog = actors::watchdog_options{100ms, 50ms};
    return spec;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(watchdog_tests, watchdog_fixture)

CAF_TEST(a child that keeps answering is left alone) {
  supervise(options(restart_strategy::one_for_one), {watched("cam")});
  auto cam = of("cam");
  auto mark = events.size();
  for (int i = 0; i < 20; ++i)
    pass(50ms);
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{}));
  CAF_CHECK(of("cam") == cam);
}

CAF_TEST(a child that stops answering is killed and restarted) {
  supervise(options(restart_strategy::one_for_one), {watched("cam"), child("log")});
  auto cam = of("cam");
  caf::anon_send(cam, caf::add_atom::value, 7);
  caf::anon_send(cam, hang_atom::value);
  sched.run();
  auto mark = events.size();
  pass(100ms); // the watchdog asks
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{}));
  pass(49ms); // no answer yet, still within the timeout
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{}));
  pass(1ms); // the timeout expires
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit cam", "restart cam"}));
  auto data = nlohmann::json::parse(raw_events[mark].data.text);
  CAF_CHECK(data["reason"].get<std::string>().find("watchdog") != std::string::npos);
  CAF_CHECK_EQUAL(show(*ended), show(strings{"cam"}));
  CAF_REQUIRE(of("cam") != cam);
  // The new instance has fresh state and is watched again.
  self->send(of("cam"), caf::add_atom::value, 1);
  sched.run();
  self->receive([](int total) { CAF_CHECK_EQUAL(total, 1); });
  mark = events.size();
  caf::anon_send(of("cam"), hang_atom::value);
  sched.run();
  pass(100ms);
  pass(50ms);
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit cam", "restart cam"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
