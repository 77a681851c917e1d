#define CAF_SUITE actors.recorder
#include "dxhub/actors/recorder.hpp"

#include "dxhub/actors/recording.hpp"
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
  auto path = (dir / "rec0.dxrec").string();
  runtime::actor_args args;
  args.name = "rec0";
  args.subscribes = {channel};
  args.params = {{"path", path}, {"max_frames", frames}};
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
  auto reader = recording_reader::open(path);
  CAF_REQUIRE(reader);
  CAF_CHECK(reader.value().schema() == camera_schema());
  CAF_CHECK_EQUAL(reader.value().channel(), channel);
  for (uint64_t i = 0; i < frames; ++i) {
    auto next = reader.value().next();
    CAF_REQUIRE(next && next.value());
    const auto& got = *next.value();
    const auto& want = sent[i];
    CAF_CHECK(std::memcmp(&got.header, &want.header(), sizeof(frame_header)) == 0);
    CAF_CHECK(got.header == want.header());
    CAF_REQUIRE_EQUAL(got.payload.size(), want.payload().size());
    CAF_CHECK(std::memcmp(got.payload.data(), want.payload().data(), got.payload.size()) == 0);
  }
  auto end = reader.value().next();
  CAF_REQUIRE(end);
  CAF_CHECK(!end.value());
}

CAF_TEST(a_foreign_file_is_refused_with_a_reason) {
  auto path = dir / "not-a-recording";
  std::ofstream{path} << "hello, world";
  auto reader = recording_reader::open(path.string());
  CAF_REQUIRE(!reader);
  CAF_CHECK(reader.error().code == errc::bad_magic);
  CAF_CHECK(!recording_reader::open((dir / "missing").string()));
}

CAF_TEST(a_record_cut_short_ends_the_recording_cleanly) {
  auto path = (dir / "cut.dxrec").string();
  {
    auto w = recording_writer::create(path, "test/cut", camera_schema());
    CAF_REQUIRE(w);
    std::vector<std::byte> payload(camera_schema().payload_size().value(), std::byte{7});
    frame_header h;
    for (int i = 0; i < 3; ++i) {
      h.sequence = static_cast<uint64_t>(i);
      CAF_REQUIRE(w.value().write(h, payload));
    }
    CAF_REQUIRE(w.value().flush());
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 100);
  auto reader = recording_reader::open(path);
  CAF_REQUIRE(reader);
  int read = 0;
  while (true) {
    auto next = reader.value().next();
    CAF_REQUIRE(next);
    if (!next.value())
      break;
    ++read;
  }
  CAF_CHECK_EQUAL(read, 2);
}

CAF_TEST_FIXTURE_SCOPE_END()
