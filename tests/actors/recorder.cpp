#define CAF_SUITE actors.recorder
#include "dxhub/actors/recorder.hpp"

#include "dxhub/actors/recording.hpp"
#include "dxhub/actors/recording_reader.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/tests/actors/stock_fixture.hpp"

#include <cstring>
#include <numeric>

using namespace dxhub;
using namespace dxhub::actors;
using dxhub::test::camera_schema;
using dxhub::test::must_arrive;

CAF_TEST_FIXTURE_SCOPE(recorder_tests, dxhub::test::stock_fixture)

CAF_TEST(frames_read_back_are_byte_identical_with_their_headers) {
  const std::string channel = "test/rec0/raw";
  const uint64_t frames = 40;
  auto path = (dir / "rec0.h5").string();
  runtime::actor_args args;
  args.name = "rec0";
  args.subscribes = {channel};
  args.params = {{"path", path}, {"max_frames", frames}, {"policy", "reliable"}};
  auto cfg = recorder_config_from(args);
  CAF_REQUIRE(cfg);
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  CAF_REQUIRE(runtime::subscribe_events(me, "rec0"));
  // The test keeps its own copy of every frame as published.
  runtime::subscription_options keep;
  keep.policy = runtime::policy::reliable;
  keep.window = 64;
  keep.queue_depth = 64;
  CAF_REQUIRE(runtime::subscribe(me, channel, keep));
  spawned.push_back(spawn_recorder(sys, cfg.value()));
  state_of("rec0"); // the recorder is subscribed once it answers
  auto pub = runtime::publish(node, channel, camera_schema());
  CAF_REQUIRE(pub);
  for (uint64_t i = 0; i < frames; ++i) {
    auto loan = pub.value().loan();
    CAF_REQUIRE(loan);
    auto image = loan.value().field<uint16_t>("image").value().values;
    std::iota(image.begin(), image.end(), static_cast<uint16_t>(i * 3));
    loan.value().header().experiment_time = 0.5 * static_cast<double>(i);
    CAF_REQUIRE(loan.value().header().meta.set("exposure_ms", std::to_string(i)));
    CAF_REQUIRE(pub.value().publish(std::move(loan.value())));
  }
  std::vector<runtime::frame> sent;
  bool done = false;
  while (!done || sent.size() < frames)
    self->receive([&](const runtime::frame& f) { sent.push_back(f); },
                  [&](const runtime::channel_status&) {},
                  [&](const event& e) { done = done || e.kind == "recording_done"; },
                  caf::after(must_arrive) >> [&] { CAF_FAIL("recording did not finish"); });
  auto stopped = call("rec0", "stop");
  CAF_REQUIRE(stopped.ok());
  auto reader = recording_reader::open(path);
  CAF_REQUIRE(reader);
  CAF_CHECK(reader.value().complete());
  auto ch = reader.value().find(channel);
  CAF_REQUIRE(ch);
  const auto& rc = reader.value().channels()[ch.value()];
  CAF_CHECK(rc.schema == camera_schema());
  CAF_REQUIRE_EQUAL(rc.frames, frames);
  std::vector<std::byte> payload(camera_schema().payload_size().value());
  for (uint64_t i = 0; i < frames; ++i) {
    auto got = reader.value().header(ch.value(), i);
    CAF_REQUIRE(got);
    const auto& want = sent[i];
    CAF_CHECK(got.value().header == want.header());
    CAF_CHECK_EQUAL(got.value().missed, 0u);
    CAF_CHECK_EQUAL(got.value().new_session, i == 0);
    CAF_REQUIRE(reader.value().read(ch.value(), i, payload));
    // Fields are stored without the alignment padding: compare them one by one.
    for (const auto& f : camera_schema().fields) {
      auto loc = camera_schema().locate(f.name).value();
      CAF_CHECK(
          std::memcmp(payload.data() + loc.offset, want.payload().data() + loc.offset, loc.bytes)
          == 0);
    }
  }
  auto verified = verify_recording(path);
  CAF_REQUIRE(verified);
  CAF_CHECK(verified.value().ok());
}

CAF_TEST(a_foreign_file_is_refused_with_a_reason) {
  auto path = dir / "not-a-recording";
  std::ofstream{path} << "hello, world";
  auto reader = recording_reader::open(path.string());
  CAF_REQUIRE(!reader);
  CAF_CHECK(reader.error().code == errc::bad_magic);
  CAF_CHECK(!recording_reader::open((dir / "missing").string()));
  CAF_CHECK(!verify_recording(path.string()));
}

CAF_TEST(a_deflate_level_that_is_no_integer_in_0_to_9_is_refused) {
  runtime::actor_args args;
  args.name = "rec1";
  args.subscribes = {"test/rec1/raw"};
  for (auto level : {nlohmann::json(1e300), nlohmann::json(12), nlohmann::json("fast"),
                     nlohmann::json{{"test/rec1/raw", 2.5}}}) {
    args.params = {{"path", (dir / "rec1.h5").string()}, {"deflate", level}};
    auto cfg = recorder_config_from(args);
    CAF_REQUIRE(!cfg);
    CAF_CHECK(cfg.error().context.find("deflate must be") != std::string::npos);
  }
  args.params = {{"path", (dir / "rec1.h5").string()}, {"deflate", {{"test/rec1/raw", 4}}}};
  CAF_CHECK(recorder_config_from(args).has_value());
}

CAF_TEST(numeric_parameters_are_integers_in_range_or_refused_naming_them) {
  runtime::actor_args args;
  args.name = "rec1";
  args.subscribes = {"test/rec1/raw"};
  auto path = (dir / "rec1.h5").string();
  // 1e300 converted to an integer would be undefined behaviour; -1 would wrap.
  for (auto [key, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{{"max_frames", 1e300},
                                                           {"max_frames", -1},
                                                           {"queue_depth", 2.5},
                                                           {"queue_depth", uint64_t{1} << 40},
                                                           {"backlog_mib", "lots"},
                                                           {"backlog_mib", uint64_t{1} << 50},
                                                           {"live_after_ms", 1e300}}) {
    args.params = {{"path", path}, {key, value}};
    auto cfg = recorder_config_from(args);
    CAF_REQUIRE(!cfg);
    CAF_MESSAGE(cfg.error().what());
    CAF_CHECK(cfg.error().code == errc::invalid_argument);
    CAF_CHECK(cfg.error().context.find(key) != std::string::npos);
  }
  args.params = {{"path", path}, {"max_frames", 100}, {"queue_depth", 16}, {"backlog_mib", 64}};
  auto cfg = recorder_config_from(args);
  CAF_REQUIRE(cfg.has_value());
  CAF_CHECK_EQUAL(cfg.value().max_frames, 100u);
  CAF_CHECK_EQUAL(cfg.value().queue_depth, 16u);
  CAF_CHECK_EQUAL(cfg.value().backlog_bytes, uint64_t{64} << 20);
}

CAF_TEST(an_unwritable_path_is_a_clear_error) {
  recording_options opts;
  opts.path = "/proc/dxhub-no-such-dir/run.h5";
  auto w = recording_writer::create(opts);
  CAF_REQUIRE(!w);
  CAF_CHECK(w.error().context.find("cannot create recording") != std::string::npos);
}

CAF_TEST(a_schema_change_between_sessions_is_refused_and_the_channel_keeps_its_frames) {
  auto path = (dir / "change.h5").string();
  recording_options opts;
  opts.path = path;
  opts.live_after = std::chrono::milliseconds{0};
  auto w = recording_writer::create(opts);
  CAF_REQUIRE(w);
  std::vector<std::byte> payload(camera_schema().payload_size().value(), std::byte{7});
  frame_header h;
  h.session = 1;
  for (uint64_t i = 0; i < 3; ++i) {
    h.sequence = i == 2 ? 5 : i; // frames 2..4 lost: a gap of 3
    CAF_REQUIRE(w.value().write("test/change", camera_schema(), h, payload, 0));
  }
  CAF_REQUIRE(w.value().commit());
  CAF_CHECK(w.value().live());
  auto other = camera_schema();
  other.fields[0].dims = shape{2, 2};
  h.session = 2;
  h.sequence = 0;
  auto refused = w.value().write("test/change", other, h, payload, 0);
  CAF_REQUIRE(!refused);
  CAF_CHECK(refused.error().code == errc::schema_mismatch);
  CAF_REQUIRE(w.value().close("test"));
  auto reader = recording_reader::open(path);
  CAF_REQUIRE(reader);
  CAF_REQUIRE_EQUAL(reader.value().channels().size(), 1u);
  CAF_CHECK_EQUAL(reader.value().channels()[0].frames, 3u);
  auto third = reader.value().header(0, 2);
  CAF_REQUIRE(third);
  CAF_CHECK_EQUAL(third.value().missed, 3u);
  auto summary = w.value().channels();
  CAF_REQUIRE_EQUAL(summary.size(), 1u);
  CAF_CHECK_EQUAL(summary[0].refused, 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
