#define CAF_SUITE runtime.channel
#include "dxhub/runtime/channel.hpp"

#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <caf/event_based_actor.hpp>

#include <algorithm>
#include <numeric>

using namespace dxhub;
using namespace dxhub::runtime;
using dxhub::test::camera_schema;
using dxhub::test::fill;
using dxhub::test::forwarder;
using dxhub::test::intact;
using dxhub::test::must_arrive;

namespace {} // namespace

CAF_TEST_FIXTURE_SCOPE(channel_tests, dxhub::test::node_fixture)

CAF_TEST(in_process_frames_arrive_intact_and_in_order) {
  auto channel = std::string{"test/cam0/raw"};
  subscription_options opts;
  opts.policy = policy::reliable;
  opts.window = 64;
  auto sub = spawn(forwarder, caf::actor{self}, channel, opts);
  auto pub = publish(node, channel, camera_schema());
  CAF_REQUIRE(pub);
  CAF_CHECK(pub.value().transport() == transport::in_process);
  self->receive(
      [&](const channel_status& s) { CAF_CHECK(s.what == channel_status::state::attached); },
      caf::after(must_arrive) >> [&] { CAF_FAIL("no attached status"); });
  constexpr uint16_t frames = 50;
  for (uint16_t i = 0; i < frames; ++i) {
    auto loan = pub.value().loan();
    CAF_REQUIRE(loan);
    fill(loan.value(), i);
    auto sent = pub.value().publish(std::move(loan.value()));
    CAF_REQUIRE(sent);
    CAF_CHECK(sent.value().sequence == i);
  }
  for (uint16_t i = 0; i < frames; ++i)
    self->receive(
        [&](const frame& f) {
          CAF_CHECK(f.header().sequence == i);
          CAF_CHECK(f.header().session == pub.value().session());
          CAF_CHECK(f.transport() == transport::in_process);
          CAF_CHECK(intact(f, i));
        },
        caf::after(must_arrive) >> [&] { CAF_FAIL("frame " << i << " did not arrive"); });
  self->send_exit(sub, caf::exit_reason::user_shutdown);
}

CAF_TEST(a_frame_copied_between_actors_shares_its_bytes) {
  auto channel = std::string{"test/cam1/raw"};
  auto sub = spawn(forwarder, caf::actor{self}, channel, subscription_options{});
  auto pub = publish(node, channel, camera_schema());
  CAF_REQUIRE(pub);
  self->receive([](const channel_status&) {},
                caf::after(must_arrive) >> [&] { CAF_FAIL("no status"); });
  auto loan = pub.value().loan();
  CAF_REQUIRE(loan);
  fill(loan.value(), 7);
  const std::byte* written = loan.value().payload().data();
  CAF_REQUIRE(pub.value().publish(std::move(loan.value())));
  // Relay through a second actor: still the publisher's bytes.
  auto relay = spawn(
      [](caf::event_based_actor* r, caf::actor sink) -> caf::behavior {
        return {[=](const frame& f) { r->send(sink, f); }};
      },
      caf::actor{self});
  self->receive([&](const frame& f) { self->send(relay, f); },
                caf::after(must_arrive) >> [&] { CAF_FAIL("no frame"); });
  self->receive(
      [&](const frame& f) {
        CAF_CHECK(f.payload().data() == written);
        CAF_CHECK(intact(f, 7));
      },
      caf::after(must_arrive) >> [&] { CAF_FAIL("no relayed frame"); });
  self->send_exit(sub, caf::exit_reason::user_shutdown);
  self->send_exit(relay, caf::exit_reason::user_shutdown);
}

CAF_TEST(a_subscriber_expecting_another_schema_is_refused_naming_both) {
  auto channel = std::string{"test/cam2/raw"};
  auto pub = publish(node, channel, camera_schema("test.camera", 1));
  CAF_REQUIRE(pub);
  subscription_options opts;
  opts.expect = camera_schema("test.camera", 2).id();
  auto refused = subscribe(caf::actor_cast<caf::local_actor*>(self.ptr()), channel, opts);
  CAF_REQUIRE(!refused);
  CAF_CHECK(refused.error().code == errc::schema_mismatch);
  auto text = refused.error().context;
  CAF_MESSAGE(text);
  CAF_CHECK(text.find("test.camera v1") != std::string::npos);
  CAF_CHECK(text.find("test.camera v2") != std::string::npos);
}

CAF_TEST(a_subscriber_that_came_first_is_refused_when_the_publisher_differs) {
  auto channel = std::string{"test/cam3/raw"};
  subscription_options opts;
  opts.expect = camera_schema("test.other", 1).id();
  auto sub = spawn(forwarder, caf::actor{self}, channel, opts);
  self->request(sub, must_arrive, caf::atom("ping"))
      .receive([](caf::atom_value) {}, [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  auto pub = publish(node, channel, camera_schema("test.camera", 1));
  CAF_REQUIRE(pub);
  self->receive(
      [&](const channel_status& s) {
        CAF_CHECK(s.what == channel_status::state::refused);
        CAF_CHECK(s.code == errc::schema_mismatch);
        CAF_CHECK(s.detail.find("test.other") != std::string::npos);
        CAF_CHECK(s.detail.find("test.camera") != std::string::npos);
      },
      caf::after(must_arrive) >> [&] { CAF_FAIL("no refusal"); });
  self->send_exit(sub, caf::exit_reason::user_shutdown);
}

CAF_TEST(latest_drops_the_oldest_for_a_slow_subscriber_and_never_blocks) {
  auto channel = std::string{"test/cam4/raw"};
  subscription_options opts;
  opts.queue_depth = 2;
  opts.window = 1;
  // The scoped actor itself subscribes and does not read while 20 frames go out.
  auto me = caf::actor_cast<caf::local_actor*>(self.ptr());
  auto sub = subscribe(me, channel, opts);
  CAF_REQUIRE(sub);
  auto pub = publish(node, channel, camera_schema());
  CAF_REQUIRE(pub);
  for (uint16_t i = 0; i < 20; ++i) {
    std::vector<std::byte> bytes(pub.value().schema().payload_size().value());
    CAF_REQUIRE(pub.value().publish_copy(bytes));
  }
  // Window 1 + queue 2: the first frame, then the two newest.
  std::vector<uint64_t> seen;
  for (int i = 0; i < 3; ++i)
    self->receive([&](const frame& f) { seen.push_back(f.header().sequence); },
                  [&](const channel_status&) { --i; },
                  caf::after(must_arrive) >> [&] { CAF_FAIL("missing frame"); });
  CAF_CHECK_EQUAL(seen.size(), 3u);
  CAF_CHECK_EQUAL(seen[0], 0u);
  CAF_CHECK_EQUAL(seen[1], 18u);
  CAF_CHECK_EQUAL(seen[2], 19u);
  CAF_CHECK_EQUAL(sub.value().stats().dropped, 17u);
  sub.value().cancel();
}

CAF_TEST(bad_channel_names_are_refused) {
  for (auto bad : {"", "/abs", "a/../b", "a//b", "spaces here"}) {
    auto pub = publish(node, bad, camera_schema());
    CAF_CHECK(!pub);
    if (!pub)
      CAF_CHECK(pub.error().code == errc::invalid_name);
  }
}

CAF_TEST(a_frame_loaned_from_another_channel_is_refused_naming_the_channel) {
  auto r = dxhub::test::publish_foreign_loan(node);
  CAF_CHECK(r.via == transport::in_process);
  CAF_REQUIRE(r.refused);
  CAF_CHECK(r.refused->code == errc::invalid_argument);
  CAF_CHECK(r.refused->context.find("test/loan/b") != std::string::npos);
  CAF_CHECK(r.own_published); // the publisher it came from still publishes its own
}

CAF_TEST_FIXTURE_SCOPE_END()
