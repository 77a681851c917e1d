#define CAF_SUITE actors.relay
#include "dxhub/actors/relay.hpp"

#include "dxhub/actors/controller.hpp"
#include "dxhub/actors/stock_actors.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/tests/actors/stock_fixture.hpp"

#include <numeric>

using namespace dxhub;
using namespace dxhub::actors;
using dxhub::test::camera_schema;
using dxhub::test::must_arrive;

CAF_TEST_FIXTURE_SCOPE(relay_tests, dxhub::test::stock_fixture)

CAF_TEST(the_relay_forwards_every_frame_intact) {
  register_stock_actors();
  runtime::actor_args a;
  a.name = "relay0";
  a.subscribes = {"test/a/raw"};
  a.publishes = {"test/b/raw"};
  auto relay = runtime::spawn_actor(sys, "relay", a);
  CAF_REQUIRE(relay);
  spawned.push_back(relay.value());
  state_of("relay0"); // subscribed once it answers
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  runtime::subscription_options opts;
  opts.policy = runtime::policy::reliable;
  opts.window = 64;
  opts.queue_depth = 64;
  CAF_REQUIRE(runtime::subscribe(me, "test/b/raw", opts));
  auto pub = runtime::publish(node, "test/a/raw", camera_schema());
  CAF_REQUIRE(pub);
  const uint16_t frames = 30;
  for (uint16_t i = 0; i < frames; ++i) {
    auto loan = pub.value().loan();
    CAF_REQUIRE(loan);
    auto image = loan.value().field<uint16_t>("image").value().values;
    std::iota(image.begin(), image.end(), i);
    loan.value().header().experiment_time = i;
    CAF_REQUIRE(pub.value().publish(std::move(loan.value())));
  }
  uint16_t got = 0;
  receive_frames(frames, [&](const runtime::frame& f) {
    CAF_CHECK(f.schema() == camera_schema());
    CAF_CHECK_EQUAL(f.header().experiment_time, double(got));
    auto image = f.field<uint16_t>("image").value().values;
    for (std::size_t k = 0; k < image.size(); ++k)
      if (image[k] != static_cast<uint16_t>(got + k))
        CAF_FAIL("frame " << got << " differs at " << k);
    ++got;
  });
  CAF_CHECK_EQUAL(state_of("relay0")["forwarded"].get<uint64_t>(), uint64_t{frames});
}

CAF_TEST(the_controller_runs_its_script_and_checks_replies) {
  register_stock_actors();
  runtime::actor_args cam;
  cam.name = "cam9";
  cam.params = {{"width", 16}, {"height", 8}, {"rate_hz", 20.0}, {"autostart", false}};
  auto camera = runtime::spawn_actor(sys, "simulated_camera", cam);
  CAF_REQUIRE(camera);
  spawned.push_back(camera.value());
  runtime::actor_args ctl;
  ctl.name = "ctl0";
  ctl.params = {
      {"target", "cam9"},
      {"interval_ms", 20},
      {"start_delay_ms", 0},
      {"loop", false},
      {"script", nlohmann::json::array(
                     {"start",
                      {{"command", "set_exposure"}, {"args", {{"ms", 5}}}},
                      {{"command", "set_exposure"}, {"args", {{"ms", -1}}}, {"expect_ok", false}},
                      "get_state"})}};
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe_events(me, "ctl0"));
  // The script starts at once (start_delay_ms 0): the camera must serve first.
  (void)find("cam9");
  auto controller = runtime::spawn_actor(sys, "controller", ctl);
  CAF_REQUIRE(controller);
  spawned.push_back(controller.value());
  int steps = 0;
  receive_events_until([&](const event& e) {
    CAF_CHECK(nlohmann::json::parse(e.data.text)["as_expected"].get<bool>());
    return ++steps == 4;
  });
  auto st = state_of("ctl0");
  CAF_CHECK_EQUAL(st["passed"].get<uint64_t>(), 4u);
  CAF_CHECK_EQUAL(st["failed"].get<uint64_t>(), 0u);
  CAF_CHECK_EQUAL(state_of("cam9")["exposure_ms"].get<double>(), 5.0);
}

CAF_TEST_FIXTURE_SCOPE_END()
