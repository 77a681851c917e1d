#define CAF_SUITE actors.camera_pipeline
#include "dxhub/actors/centroid.hpp"
#include "dxhub/actors/simulated_adc.hpp"
#include "dxhub/actors/simulated_camera.hpp"
#include "dxhub/actors/stock_actors.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/tests/actors/stock_fixture.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

using namespace dxhub;
using namespace dxhub::actors;
using dxhub::test::must_arrive;

namespace {

runtime::actor_args camera_args(const std::string& name, const std::string& pattern) {
  runtime::actor_args a;
  a.name = name;
  a.publishes = {"test/" + name + "/raw"};
  a.params = {{"width", 64}, {"height", 48}, {"rate_hz", 200.0}, {"pattern", pattern}};
  return a;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(camera_pipeline_tests, dxhub::test::stock_fixture)

CAF_TEST(the_centroid_of_a_spot_is_where_the_spot_is) {
  const uint64_t w = 40, h = 30;
  std::vector<uint16_t> image(w * h, 100);
  for (uint64_t y = 0; y < h; ++y)
    for (uint64_t x = 0; x < w; ++x)
      image[y * w + x] += static_cast<uint16_t>(
          5000 * std::exp(-((x - 12.0) * (x - 12.0) + (y - 20.0) * (y - 20.0)) / 8.0));
  auto s = analyse_image(image, w, 0.5);
  CAF_CHECK(std::abs(s.x - 12.0) < 0.5);
  CAF_CHECK(std::abs(s.y - 20.0) < 0.5);
  CAF_CHECK(s.max > 5000);
}

CAF_TEST(camera_frames_verify_and_feed_the_centroid) {
  register_stock_actors();
  auto cam = runtime::spawn_actor(sys, "simulated_camera", camera_args("cam0", "gaussian_spot"));
  CAF_REQUIRE(cam);
  spawned.push_back(cam.value());
  runtime::actor_args c;
  c.name = "centroid0";
  c.subscribes = {"test/cam0/raw"};
  auto centroid = runtime::spawn_actor(sys, "centroid", c);
  CAF_REQUIRE(centroid);
  spawned.push_back(centroid.value());
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe(me, "test/cam0/centroid"));
  receive_frames(10, [](const runtime::frame& f) {
    auto v = f.field<double>("centroid").value().values;
    CAF_CHECK(v[5] >= 0); // the camera's counter verified
    CAF_CHECK(std::abs(v[0] - 32) < 25);
    CAF_CHECK(std::abs(v[1] - 24) < 20);
  });
  auto st = state_of("centroid0");
  CAF_CHECK(st["frames"].get<uint64_t>() >= 10u);
  CAF_CHECK_EQUAL(st["bad_frames"].get<uint64_t>(), 0u);
}

CAF_TEST(counter_frames_are_whole) {
  register_stock_actors();
  auto cam = runtime::spawn_actor(sys, "simulated_camera", camera_args("cam1", "counter"));
  CAF_REQUIRE(cam);
  spawned.push_back(cam.value());
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe(me, "test/cam1/raw"));
  receive_frames(20, [](const runtime::frame& f) {
    auto counter = verify_camera_frame(f.view());
    CAF_REQUIRE(counter);
    auto px = f.field<uint16_t>("image").value().values;
    for (std::size_t i = 4; i < px.size(); ++i)
      if (px[i] != static_cast<uint16_t>(counter.value() * 7 + i))
        CAF_FAIL("pixel " << i << " of frame " << counter.value() << " is wrong");
  });
}

CAF_TEST(camera_commands_change_its_state_and_refuse_bad_values) {
  register_stock_actors();
  auto args = camera_args("cam2", "counter");
  args.params["autostart"] = false;
  auto cam = runtime::spawn_actor(sys, "simulated_camera", args);
  CAF_REQUIRE(cam);
  spawned.push_back(cam.value());
  CAF_CHECK_EQUAL(state_of("cam2")["running"].get<bool>(), false);
  CAF_CHECK(call("cam2", "start").ok());
  CAF_CHECK_EQUAL(state_of("cam2")["running"].get<bool>(), true);
  auto set = call("cam2", "set_exposure", R"({"ms": 25})");
  CAF_REQUIRE(set.ok());
  CAF_CHECK_EQUAL(nlohmann::json::parse(set.result.text)["ms"].get<double>(), 25.0);
  CAF_CHECK_EQUAL(state_of("cam2")["exposure_ms"].get<double>(), 25.0);
  auto bad = call("cam2", "set_exposure", R"({"ms": -3})");
  CAF_CHECK(bad.code == errc::invalid_argument);
  CAF_CHECK(call("cam2", "set_rate", R"({"hz": 50})").ok());
  CAF_CHECK(call("cam2", "focus").code == errc::unknown_command);
  CAF_CHECK(call("cam2", "stop").ok());
  CAF_CHECK_EQUAL(state_of("cam2")["running"].get<bool>(), false);
}

CAF_TEST(unknown_types_and_bad_parameters_are_named) {
  register_stock_actors();
  runtime::actor_args a;
  a.name = "x";
  auto unknown = runtime::spawn_actor(sys, "warp_drive", a);
  CAF_REQUIRE(!unknown);
  CAF_CHECK(unknown.error().code == errc::unknown_actor_type);
  CAF_CHECK(unknown.error().context.find("simulated_camera") != std::string::npos);
  a.params = {{"width", "wide"}};
  auto bad = runtime::spawn_actor(sys, "simulated_camera", a);
  CAF_REQUIRE(!bad);
  CAF_CHECK(bad.error().code == errc::invalid_argument);
  a.params = {{"pattern", "plaid"}};
  CAF_CHECK(!runtime::spawn_actor(sys, "simulated_camera", a));
}

CAF_TEST(the_adc_publishes_blocks_of_its_waveform_and_serves_commands) {
  register_stock_actors();
  runtime::actor_args a;
  a.name = "adc0";
  a.publishes = {"test/adc0/raw"};
  a.params = {{"channels", 2},
              {"sample_rate_hz", 1000.0},
              {"block", 100},
              {"waveform", "sawtooth"},
              {"frequency_hz", 10.0}};
  auto adc = runtime::spawn_actor(sys, "simulated_adc", a);
  CAF_REQUIRE(adc);
  spawned.push_back(adc.value());
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe(me, "test/adc0/raw"));
  receive_frames(3, [](const runtime::frame& f) {
    auto samples = f.field<float>("samples").value();
    CAF_REQUIRE_EQUAL(samples.dims[0], 2u);
    CAF_REQUIRE_EQUAL(samples.dims[1], 100u);
    double t0 = f.field<double>("stamps").value().values[1];
    for (std::size_t ch = 0; ch < 2; ++ch)
      for (std::size_t i = 0; i < 100; i += 7) {
        double want = adc_waveform("sawtooth", (ch + 1) * 10.0 * (t0 + i / 1000.0));
        CAF_CHECK(std::abs(samples.values[ch * 100 + i] - want) < 1e-3);
      }
  });
  CAF_CHECK(call("adc0", "set_rate", R"({"hz": 2000})").ok());
  CAF_CHECK(call("adc0", "set_rate", R"({"hz": 0})").code == errc::invalid_argument);
  CAF_CHECK_EQUAL(state_of("adc0")["sample_rate_hz"].get<double>(), 2000.0);
  CAF_CHECK(call("adc0", "stop").ok());
  CAF_CHECK_EQUAL(state_of("adc0")["running"].get<bool>(), false);
}

CAF_TEST(the_adc_reports_stats_and_crashes_on_command_like_every_instrument) {
  register_stock_actors();
  runtime::actor_args a;
  a.name = "adc1";
  a.publishes = {"test/adc1/raw"};
  a.params = {{"channels", 1}, {"sample_rate_hz", 1000.0}, {"block", 10}, {"stats_period_ms", 20}};
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe_events(me, "adc1"));
  auto adc = runtime::spawn_actor(sys, "simulated_adc", a);
  CAF_REQUIRE(adc);
  spawned.push_back(adc.value());
  receive_events_until([](const event& e) {
    return e.kind == "stats" && nlohmann::json::parse(e.data.text)["frames"].get<uint64_t>() > 0;
  });
  // The crash is announced with the state (blocks) and why, then the actor fails.
  runtime::call_json(self.ptr(), find("adc1"), "crash", json_text{"{}"})
      .receive([](const reply&) {}, [](caf::error&) {});
  nlohmann::json crash;
  receive_events_until([&](const event& e) {
    if (e.kind == "crash")
      crash = nlohmann::json::parse(e.data.text);
    return e.kind == "crash";
  });
  CAF_CHECK(crash["blocks"].get<uint64_t>() > 0);
  CAF_CHECK_EQUAL(crash["mode"].get<std::string>(), "throw");
  CAF_CHECK(crash["why"].get<std::string>().find("crash command") != std::string::npos);
}

CAF_TEST(stats_events_carry_every_publish_duration_when_asked) {
  register_stock_actors();
  auto args = camera_args("cam3", "counter");
  args.params["stats_period_ms"] = 50;
  args.params["stats_samples"] = true;
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe_events(me, "cam3"));
  auto cam = runtime::spawn_actor(sys, "simulated_camera", args);
  CAF_REQUIRE(cam);
  spawned.push_back(cam.value());
  // Two stats periods in a row with frames: the second names exactly the
  // publishes between them, and its p50 is one of them.
  std::optional<uint64_t> frames_before;
  receive_events_until([&](const event& e) {
    if (e.kind != "stats")
      return false;
    auto stats = nlohmann::json::parse(e.data.text);
    auto frames = stats["frames"].get<uint64_t>();
    auto previous = std::exchange(frames_before, frames);
    if (!previous || frames == *previous)
      return false;
    auto samples = stats["publish_us"].get<std::vector<double>>();
    CAF_CHECK_EQUAL(samples.size(), frames - *previous);
    CAF_CHECK(std::ranges::all_of(samples, [](double us) { return us >= 0; }));
    CAF_CHECK(std::ranges::find(samples, stats["publish_us_p50"].get<double>()) != samples.end());
    return true;
  });
}

CAF_TEST(stats_events_carry_no_publish_durations_unless_asked) {
  register_stock_actors();
  auto args = camera_args("cam4", "counter");
  args.params["stats_period_ms"] = 50;
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe_events(me, "cam4"));
  auto cam = runtime::spawn_actor(sys, "simulated_camera", args);
  CAF_REQUIRE(cam);
  spawned.push_back(cam.value());
  receive_events_until([&](const event& e) {
    if (e.kind != "stats")
      return false;
    auto stats = nlohmann::json::parse(e.data.text);
    if (!stats.contains("publish_us_p50"))
      return false;
    CAF_CHECK(!stats.contains("publish_us"));
    return true;
  });
}

CAF_TEST(a_centroid_fed_waveforms_says_once_which_schemas_disagree) {
  register_stock_actors();
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe_events(me, "centroid2"));
  runtime::actor_args a;
  a.name = "adc2";
  a.publishes = {"test/adc2/raw"};
  a.params = {{"channels", 1}, {"sample_rate_hz", 1000.0}, {"block", 10}};
  auto adc = runtime::spawn_actor(sys, "simulated_adc", a);
  CAF_REQUIRE(adc);
  spawned.push_back(adc.value());
  runtime::actor_args c;
  c.name = "centroid2";
  c.subscribes = {"test/adc2/raw"};
  auto centroid = runtime::spawn_actor(sys, "centroid", c);
  CAF_REQUIRE(centroid);
  spawned.push_back(centroid.value());
  nlohmann::json mismatch;
  receive_events_until([&](const event& e) {
    if (e.kind == "schema_mismatch")
      mismatch = nlohmann::json::parse(e.data.text);
    return e.kind == "schema_mismatch";
  });
  CAF_CHECK_EQUAL(mismatch["channel"].get<std::string>(), "test/adc2/raw");
  CAF_CHECK(mismatch["publisher_schema"].get<std::string>().find("adc") != std::string::npos);
  CAF_CHECK(mismatch["subscriber_wants"].get<std::string>().find("image") != std::string::npos);
  auto st = state_of("centroid2");
  CAF_CHECK(st["bad_frames"].get<uint64_t>() > 0u);
  CAF_CHECK_EQUAL(st["frames"].get<uint64_t>(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
