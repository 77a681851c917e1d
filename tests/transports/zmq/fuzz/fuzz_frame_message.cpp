// libFuzzer target: the frame message decoder (frames to other hosts) on
// untrusted bytes. The first two input bytes are the lengths of the topic
// and header parts; the rest of the input, after those parts, is the body.

#include "dxhub/schemas/serialization.hpp"
#include "dxhub/transports/zmq/frame_message.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace dxhub;
using namespace dxhub::zmq;

namespace {

std::vector<::zmq::message_t> parts_of(const outgoing_frame& out) {
  auto header = out.header;
  header.payload_size = static_cast<uint32_t>(out.body.size());
  std::vector<::zmq::message_t> parts;
  parts.emplace_back(out.topic.data(), out.topic.size());
  parts.push_back(encode_header(header));
  parts.emplace_back(out.body.data(), out.body.size());
  return parts;
}

bool same_bytes(std::span<const std::byte> x, std::span<const std::byte> y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
}

std::span<const std::byte> bytes_of(const ::zmq::message_t& msg) {
  return {static_cast<const std::byte*>(msg.data()), msg.size()};
}

// Whatever decodes must encode, decode again to the same frame, and encode
// to the same bytes again (the frame header compared encoded: a NaN
// experiment time is not equal to itself).
void round_trip(const frame_message& first, const limits& lim) {
  auto out = encode_frame_message(first.channel, first.envelope.schema, first.header,
                                  first.payload(), lim);
  if (!out)
    std::abort();
  auto parts = parts_of(out.value());
  auto second = decode_frame_message(parts, lim, &first.envelope.schema);
  if (!second)
    std::abort();
  const auto& again = second.value();
  if (again.channel != first.channel || !(again.envelope.schema == first.envelope.schema)
      || encode_binary(again.header) != encode_binary(first.header)
      || !same_bytes(again.payload(), first.payload()))
    std::abort();
  auto twice = encode_frame_message(again.channel, again.envelope.schema, again.header,
                                    again.payload(), lim);
  if (!twice || twice.value().topic != out.value().topic
      || !same_bytes(bytes_of(twice.value().body), bytes_of(out.value().body)))
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  limits lim;
  lim.max_message_size = 1 << 20;
  std::size_t rest = size - 2;
  std::size_t topic_size = std::min<std::size_t>(data[0], rest);
  std::size_t header_size = std::min<std::size_t>(data[1], rest - topic_size);
  const auto* topic = data + 2;
  const auto* header = topic + topic_size;
  const auto* body = header + header_size;
  std::vector<::zmq::message_t> parts;
  parts.emplace_back(topic, topic_size);
  parts.emplace_back(header, header_size);
  parts.emplace_back(body, static_cast<std::size_t>(data + size - body));
  auto frame = decode_frame_message(parts, lim);
  if (frame)
    round_trip(frame.value(), lim);
  return 0;
}
