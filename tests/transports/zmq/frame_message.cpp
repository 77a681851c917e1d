#define CAF_SUITE zmq.frame_message
#include "dxhub/transports/zmq/frame_message.hpp"

#include "dxhub/schemas/serialization.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>

using namespace dxhub;
using namespace dxhub::zmq;
using namespace std::chrono_literals;

namespace {

const schema_id camera_schema{"lab.camera_frame", 3, 0x0123456789abcdefULL};

frame_header sample_header() {
  frame_header h;
  h.sequence = 41;
  h.session = 0x1122334455667788ULL;
  h.monotonic_ns = 123456789;
  h.wall_ns = -7;
  h.experiment_time = 2.5;
  CAF_REQUIRE(h.meta.set("exposure_ms", "12.5"));
  return h;
}

std::vector<std::byte> sample_payload(std::size_t size) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<std::byte>(i * 7 + 3);
  return bytes;
}

std::vector<std::byte> bytes_of(const ::zmq::message_t& msg) {
  auto* first = static_cast<const std::byte*>(msg.data());
  return {first, first + msg.size()};
}

/// The three parts a SUB socket receives for `out` (the publisher's part:
/// the envelope's payload size).
std::vector<::zmq::message_t> parts_of(const outgoing_frame& out) {
  auto header = out.header;
  header.payload_size = static_cast<uint32_t>(out.body.size());
  std::vector<::zmq::message_t> parts;
  parts.emplace_back(out.topic.data(), out.topic.size());
  parts.push_back(encode_header(header));
  parts.emplace_back(out.body.data(), out.body.size());
  return parts;
}

/// Parts from raw bytes: topic, header and body as given.
std::vector<::zmq::message_t> parts_from(const std::string& topic, const envelope_header& header,
                                         const std::vector<std::byte>& body) {
  auto head = header;
  head.payload_size = static_cast<uint32_t>(body.size());
  std::vector<::zmq::message_t> parts;
  parts.emplace_back(topic.data(), topic.size());
  parts.push_back(encode_header(head));
  parts.emplace_back(body.data(), body.size());
  return parts;
}

outgoing_frame sample_frame(std::size_t payload_size = 100) {
  auto payload = sample_payload(payload_size);
  auto out = encode_frame_message("lab/cam0", camera_schema, sample_header(), payload, limits{});
  CAF_REQUIRE(out);
  return std::move(out).value();
}

void check_rejected(std::vector<::zmq::message_t> parts, errc code, const limits& lim = limits{}) {
  auto decoded = decode_frame_message(parts, lim);
  CAF_CHECK(!decoded);
  if (!decoded)
    CAF_CHECK_EQUAL(name(decoded.error().code), name(code));
}

void check_body_rejected(const std::vector<std::byte>& body, errc code) {
  envelope_header header;
  header.kind = message_kind::frame;
  header.schema = camera_schema;
  check_rejected(parts_from("lab/cam0|", header, body), code);
}

} // namespace

CAF_TEST(a frame survives encode and decode with its header and bytes) {
  for (std::size_t size : {0u, 1u, 20u, 100u, 70000u}) {
    auto payload = sample_payload(size);
    auto out = encode_frame_message("lab/cam0", camera_schema, sample_header(), payload, limits{});
    CAF_REQUIRE(out);
    CAF_CHECK_EQUAL(out.value().topic, "lab/cam0|");
    CAF_CHECK_EQUAL(name(out.value().header.kind), "frame");
    auto parts = parts_of(out.value());
    auto decoded = decode_frame_message(parts, limits{}, &camera_schema);
    CAF_REQUIRE(decoded);
    // Moved: a small body lives inside the message object and moves with it.
    auto frame = std::move(decoded).value();
    CAF_CHECK_EQUAL(frame.channel, "lab/cam0");
    CAF_CHECK(frame.envelope.schema == camera_schema);
    CAF_CHECK(frame.header == sample_header());
    CAF_CHECK_EQUAL(frame.payload().size(), size);
    CAF_CHECK(std::equal(payload.begin(), payload.end(), frame.payload().begin()));
  }
}

CAF_TEST(the body is the length then the frame header then the bytes as documented) {
  auto out = sample_frame(5);
  auto body = bytes_of(out.body);
  auto head = encode_binary(sample_header());
  CAF_REQUIRE_EQUAL(body.size(), frame_length_size + head.size() + 5);
  CAF_CHECK_EQUAL(std::to_integer<std::size_t>(body[0]), head.size()); // u32, low byte first
  CAF_CHECK_EQUAL(std::to_integer<int>(body[1]), 0);
  CAF_CHECK_EQUAL(std::to_integer<int>(body[4]), 1);  // little-endian archive
  CAF_CHECK_EQUAL(std::to_integer<int>(body[5]), 41); // sequence, low byte first
  CAF_CHECK(std::memcmp(body.data() + 4, head.data(), head.size()) == 0);
  // The header's bounds hold for an empty and a full metadata.
  CAF_CHECK_EQUAL(encode_binary(frame_header{}).size(), frame_header_min_size);
  frame_header full;
  std::string key = "k";
  while (full.meta.set(key, std::string(200, 'v')))
    key += "k";
  CAF_CHECK_LESS_OR_EQUAL(encode_binary(full).size(), frame_header_max_size);
}

CAF_TEST(a frame message crosses a real publisher and subscriber) {
  io_loop loop;
  auto pub = publisher::bind(loop, "tcp://127.0.0.1:0");
  CAF_REQUIRE(pub);
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<expected<frame_message>> received;
  auto handler = [&](std::string_view topic, wire_message msg) {
    auto frame = decode_frame_message(topic, std::move(msg), limits{}, &camera_schema);
    std::lock_guard<std::mutex> guard{mutex};
    received.emplace(std::move(frame));
    changed.notify_all();
  };
  auto sub = subscriber::connect(loop, pub.value()->endpoint(), {frame_topic("lab/cam0")}, handler);
  CAF_REQUIRE(sub);
  CAF_REQUIRE(pub.value()->wait_for_subscriptions(1, 10s));
  auto out = sample_frame(3000);
  pub.value()->publish(std::move(out.topic), out.header, std::move(out.body));
  std::unique_lock<std::mutex> lock{mutex};
  CAF_REQUIRE(changed.wait_for(lock, 20s, [&] { return received.has_value(); }));
  CAF_REQUIRE(*received);
  const auto& frame = received->value();
  CAF_CHECK_EQUAL(frame.channel, "lab/cam0");
  CAF_CHECK(frame.header == sample_header());
  auto payload = sample_payload(3000);
  CAF_REQUIRE_EQUAL(frame.payload().size(), payload.size());
  CAF_CHECK(std::equal(payload.begin(), payload.end(), frame.payload().begin()));
}

CAF_TEST(a message with other than three parts is malformed) {
  auto out = sample_frame();
  auto parts = parts_of(out);
  parts.pop_back();
  check_rejected(std::move(parts), errc::malformed_message);
  parts = parts_of(out);
  parts.emplace_back(3);
  check_rejected(std::move(parts), errc::malformed_message);
  check_rejected({}, errc::malformed_message);
}

CAF_TEST(a topic that is not a channel name with its terminator is malformed) {
  auto out = sample_frame();
  const std::vector<std::string> topics{
      "lab/cam0", "", "|", "lab/cam0|x", "lab/cam0|x|", "../etc|", std::string(300, 'a') + "|"};
  for (const auto& topic : topics) {
    auto parts = parts_of(out);
    parts[0] = ::zmq::message_t{topic.data(), topic.size()};
    check_rejected(std::move(parts), errc::malformed_message);
  }
}

CAF_TEST(a truncated frame header is rejected as truncated) {
  auto body = bytes_of(sample_frame(0).body);
  check_body_rejected({}, errc::truncated_message);
  check_body_rejected({body.begin(), body.begin() + 3}, errc::truncated_message);
  check_body_rejected({body.begin(), body.end() - 1}, errc::truncated_message);
  check_body_rejected({body.begin(), body.begin() + frame_length_size + 10},
                      errc::truncated_message);
}

CAF_TEST(a frame header length out of its bounds is malformed) {
  auto body = bytes_of(sample_frame().body);
  for (uint32_t length : {0u, 1u, 48u, 306u, 0xffffffffu}) {
    auto bad = body;
    for (std::size_t i = 0; i < frame_length_size; ++i)
      bad[i] = static_cast<std::byte>((length >> (8 * i)) & 0xff);
    check_body_rejected(bad, errc::malformed_message);
  }
}

CAF_TEST(a payload size that differs from the envelope is rejected) {
  auto out = sample_frame();
  auto parts = parts_of(out);
  auto longer = out.header;
  longer.payload_size = static_cast<uint32_t>(out.body.size() + 1);
  parts[1] = encode_header(longer);
  check_rejected(std::move(parts), errc::truncated_message);
  parts = parts_of(out);
  auto shorter = out.header;
  shorter.payload_size = static_cast<uint32_t>(out.body.size() - 1);
  parts[1] = encode_header(shorter);
  check_rejected(std::move(parts), errc::malformed_message);
}

CAF_TEST(a frame above the message limit is refused on both sides) {
  limits small;
  small.max_message_size = 256;
  auto payload = sample_payload(300);
  auto too_big = encode_frame_message("lab/cam0", camera_schema, sample_header(), payload, small);
  CAF_REQUIRE(!too_big);
  CAF_CHECK_EQUAL(name(too_big.error().code), "frame_too_large");
  // The payload alone fits, with its header it does not.
  auto just = sample_payload(250);
  CAF_CHECK(!encode_frame_message("lab/cam0", camera_schema, sample_header(), just, small));
  check_rejected(parts_of(sample_frame(300)), errc::oversized_message, small);
  // Already through an envelope checked with larger limits.
  auto parts = parts_of(sample_frame(300));
  auto msg = [&] {
    std::vector<::zmq::message_t> envelope;
    envelope.push_back(std::move(parts[1]));
    envelope.push_back(std::move(parts[2]));
    return decode_message(envelope, limits{});
  }();
  CAF_REQUIRE(msg);
  auto decoded = decode_frame_message("lab/cam0|", std::move(msg).value(), small);
  CAF_REQUIRE(!decoded);
  CAF_CHECK_EQUAL(name(decoded.error().code), "oversized_message");
}

CAF_TEST(garbage is rejected with the reason of its first fault) {
  auto out = sample_frame();
  auto parts = parts_of(out);
  auto garbage = sample_payload(60);
  parts[1] = ::zmq::message_t{garbage.data(), garbage.size()};
  check_rejected(std::move(parts), errc::bad_magic);
  // A frame header that is not a little-endian archive.
  auto body = bytes_of(out.body);
  auto bad = body;
  bad[4] = std::byte{0x17};
  check_body_rejected(bad, errc::bad_encoding);
  // Metadata whose length runs past the header.
  bad = body;
  bad[frame_length_size + 41] = std::byte{0xff};
  check_body_rejected(bad, errc::bad_encoding);
  // Metadata without its terminators.
  auto head = encode_binary(sample_header());
  bad = body;
  bad[frame_length_size + head.size() - 1] = std::byte{'x'};
  check_body_rejected(bad, errc::bad_encoding);
  // A header length one byte longer than the header: a trailing byte.
  bad = body;
  bad[0] = static_cast<std::byte>(head.size() + 1);
  check_body_rejected(bad, errc::bad_encoding);
}

CAF_TEST(only binary messages of kind frame and of the schema of the channel are frames) {
  auto out = sample_frame();
  auto body = bytes_of(out.body);
  auto event = out.header;
  event.kind = message_kind::event;
  check_rejected(parts_from(out.topic, event, body), errc::malformed_message);
  auto json = out.header;
  json.encoding = encoding::json;
  check_rejected(parts_from(out.topic, json, body), errc::malformed_message);
  auto parts = parts_of(out);
  schema_id other = camera_schema;
  other.version = 4;
  auto decoded = decode_frame_message(parts, limits{}, &other);
  CAF_REQUIRE(!decoded);
  CAF_CHECK_EQUAL(name(decoded.error().code), "schema_mismatch");
}
