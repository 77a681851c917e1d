#define CAF_SUITE actors.supervisor_events
#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/tests/actors/supervision.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace dxhub;
using dxhub::test::must_arrive;

CAF_TEST_FIXTURE_SCOPE(supervisor_event_tests, dxhub::test::node_fixture)

CAF_TEST(starts exits and restarts are events on the event bus of the node) {
  CAF_REQUIRE(runtime::subscribe_events(self.ptr(), "dxhub/supervisor"));
  auto ended = std::make_shared<std::vector<std::string>>();
  auto current = std::make_shared<caf::actor>();
  actors::child_spec cam;
  cam.name = "cam0";
  cam.start = [ended, current](caf::local_actor* sup) {
    *current = sup->system().spawn(test::worker, std::string{"cam0"}, ended);
    return *current;
  };
  actors::supervisor_options opts;
  opts.name = "camera";
  opts.limits.backoff_base = std::chrono::milliseconds{0};
  auto sup = actors::spawn_supervisor(sys, opts, {cam});
  std::vector<std::string> seen;
  auto next = [&] {
    self->receive(
        [&](const event& e) {
          CAF_CHECK_EQUAL(e.topic, "dxhub/supervisor/camera");
          auto data = nlohmann::json::parse(e.data.text);
          seen.push_back(e.kind + " " + data.value("child", std::string{}));
        },
        caf::after(must_arrive) >> [&] { seen.push_back("nothing"); });
  };
  next();
  CAF_CHECK_EQUAL(seen.back(), "start cam0");
  self->send(*current, test::crash_atom::value);
  next();
  next();
  CAF_CHECK_EQUAL(test::show(seen), test::show({"start cam0", "exit cam0", "restart cam0"}));
  self->send_exit(sup, caf::exit_reason::user_shutdown);
  next();
  CAF_CHECK_EQUAL(seen.back(), "stop cam0");
  runtime::unsubscribe_events(self.ptr(), "dxhub/supervisor");
}

CAF_TEST_FIXTURE_SCOPE_END()
