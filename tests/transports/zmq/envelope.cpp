#define CAF_SUITE zmq.envelope
#include "dxhub/transports/zmq/envelope.hpp"

#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <cstring>

using namespace dxhub;
using namespace dxhub::zmq;

namespace {

envelope_header sample_header() {
  auto header = header_for<command>(message_kind::request, encoding::json);
  header.correlation = 0x0102030405060708ULL;
  header.timestamp_ns = -5;
  header.payload_size = 77;
  return header;
}

std::span<const std::byte> view(const std::vector<std::byte>& bytes) {
  return {bytes.data(), bytes.size()};
}

} // namespace

CAF_TEST(a header survives encode and decode) {
  auto header = sample_header();
  auto bytes = encode_header_bytes(header);
  CAF_CHECK_EQUAL(bytes.size(), header_fixed_size + header.schema.name.size());
  auto decoded = decode_header(view(bytes), limits{});
  CAF_REQUIRE(decoded);
  CAF_CHECK(decoded.value() == header);
}

CAF_TEST(the header layout is little endian as documented) {
  auto bytes = encode_header_bytes(sample_header());
  CAF_CHECK(std::memcmp(bytes.data(), "DXHB", 4) == 0);
  CAF_CHECK_EQUAL(std::to_integer<int>(bytes[4]), 1);    // version
  CAF_CHECK_EQUAL(std::to_integer<int>(bytes[5]), 0);    // request
  CAF_CHECK_EQUAL(std::to_integer<int>(bytes[6]), 1);    // json
  CAF_CHECK_EQUAL(std::to_integer<int>(bytes[8]), 0x08); // correlation, low byte first
  CAF_CHECK_EQUAL(std::to_integer<int>(bytes[15]), 0x01);
  CAF_CHECK_EQUAL(std::to_integer<int>(bytes[36]), 77); // payload size
  CAF_CHECK_EQUAL(std::to_integer<int>(bytes[40]), 13); // "dxhub.command"
}

CAF_TEST(every kind of bad header is rejected with its reason) {
  auto good = encode_header_bytes(sample_header());
  auto expect_rejected = [](std::vector<std::byte> bytes, errc code) {
    auto decoded = decode_header(view(bytes), limits{});
    CAF_CHECK(!decoded);
    if (!decoded)
      CAF_CHECK_EQUAL(name(decoded.error().code), name(code));
  };
  expect_rejected({good.begin(), good.begin() + 10}, errc::truncated_message);
  auto bad = good;
  bad[0] = std::byte{'X'};
  expect_rejected(bad, errc::bad_magic);
  bad = good;
  bad[4] = std::byte{2};
  expect_rejected(bad, errc::unsupported_version);
  bad = good;
  bad[5] = std::byte{99};
  expect_rejected(bad, errc::malformed_message);
  bad = good;
  bad[6] = std::byte{7};
  expect_rejected(bad, errc::malformed_message);
  bad = good;
  bad[7] = std::byte{1};
  expect_rejected(bad, errc::malformed_message);
  bad = good;
  bad.push_back(std::byte{0});
  expect_rejected(bad, errc::malformed_message);
  bad = good;
  bad.pop_back();
  expect_rejected(bad, errc::truncated_message);
  bad = good;
  bad[39] = std::byte{0x7f}; // payload_size near 2 GiB
  expect_rejected(bad, errc::oversized_message);
  bad = good;
  bad[good.size() - 1] = std::byte{0x01};
  expect_rejected(bad, errc::malformed_message);
}

CAF_TEST(a message needs exactly its announced payload) {
  auto cmd = command{};
  cmd.name = "ping";
  auto payload = encode_payload(cmd, encoding::binary);
  CAF_REQUIRE(payload);
  auto header = header_for<command>(message_kind::request, encoding::binary);
  header.payload_size = static_cast<uint32_t>(payload.value().size());
  std::vector<::zmq::message_t> frames;
  frames.push_back(encode_header(header));
  frames.push_back(std::move(payload).value());
  auto msg = decode_message(frames, limits{});
  CAF_REQUIRE(msg);
  auto back = decode_payload<command>(msg.value());
  CAF_REQUIRE(back);
  CAF_CHECK(back.value() == cmd);

  std::vector<::zmq::message_t> short_frames;
  header.payload_size += 1;
  short_frames.push_back(encode_header(header));
  short_frames.emplace_back(3);
  auto truncated = decode_message(short_frames, limits{});
  CAF_CHECK(!truncated && truncated.error().code == errc::truncated_message);

  std::vector<::zmq::message_t> one_frame;
  one_frame.push_back(encode_header(header));
  auto malformed = decode_message(one_frame, limits{});
  CAF_CHECK(!malformed && malformed.error().code == errc::malformed_message);
}

CAF_TEST(payloads round trip in binary and json) {
  event ev;
  ev.topic = "lab/cam0/state";
  ev.kind = "state";
  ev.sequence = 42;
  ev.data.text = R"({"running":true})";
  for (auto enc : {encoding::binary, encoding::json}) {
    auto payload = encode_payload(ev, enc);
    CAF_REQUIRE(payload);
    std::span<const std::byte> bytes{static_cast<const std::byte*>(payload.value().data()),
                                     payload.value().size()};
    auto back = decode_payload<event>(bytes, enc);
    CAF_REQUIRE(back);
    CAF_CHECK(back.value() == ev);
  }
}

CAF_TEST(a wrong schema is refused naming both) {
  wire_message msg;
  msg.header = header_for<event>(message_kind::event, encoding::binary);
  auto decoded = decode_payload<command>(msg);
  CAF_REQUIRE(!decoded);
  CAF_CHECK(decoded.error().code == errc::schema_mismatch);
  CAF_CHECK(decoded.error().context.find("dxhub.event") != std::string::npos);
  CAF_CHECK(decoded.error().context.find("dxhub.command") != std::string::npos);
}

CAF_TEST(bad json and bad binary are bad_encoding) {
  std::string text = "{\"id\": 1, \"name\": ";
  std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(text.data()), text.size()};
  auto json = decode_payload<command>(bytes, encoding::json);
  CAF_CHECK(!json && json.error().code == errc::bad_encoding);
  auto binary = decode_payload<command>(bytes, encoding::binary);
  CAF_CHECK(!binary && binary.error().code == errc::bad_encoding);
}

CAF_TEST(a borrowed payload is sent from the buffer of its owner) {
  auto owner = std::make_shared<std::vector<std::byte>>(1 << 20);
  std::weak_ptr<std::vector<std::byte>> watch = owner;
  {
    auto msg = borrow_payload(owner, {owner->data(), owner->size()});
    CAF_CHECK(msg.data() == static_cast<void*>(owner->data()));
    owner.reset();
    CAF_CHECK(!watch.expired()); // the message keeps the buffer alive
  }
  CAF_CHECK(watch.expired()); // and releases it when done
}
