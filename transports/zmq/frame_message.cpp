#include "dxhub/transports/zmq/frame_message.hpp"

#include "dxhub/schemas/name.hpp"
#include "dxhub/schemas/serialization.hpp"

#include <cstring>

namespace dxhub::zmq {

namespace {

constexpr char topic_terminator = '|';

// cereal's portable binary archive starts with this byte when written on a
// little-endian host; any other byte would make the decoder swap every field.
constexpr std::byte little_endian_archive{1};

std::string bytes_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

} // namespace

std::string frame_topic(std::string_view channel) {
  std::string topic;
  topic.reserve(channel.size() + 1);
  topic.append(channel);
  topic.push_back(topic_terminator);
  return topic;
}

expected<outgoing_frame> encode_frame_message(std::string_view channel, const schema_id& schema,
                                              const frame_header& h,
                                              std::span<const std::byte> payload,
                                              const limits& lim) {
  auto head = encode_binary(h);
  // Both sizes are bounded (the header by its metadata's capacity), so the
  // sum cannot overflow; comparing the payload first keeps it so for any size.
  if (payload.size() > lim.max_message_size
      || frame_length_size + head.size() + payload.size() > lim.max_message_size)
    return error{errc::frame_too_large,
                 "frame of " + bytes_text(payload.size()) + " on channel '" + std::string{channel}
                     + "' exceeds the message limit of " + bytes_text(lim.max_message_size)};
  outgoing_frame out;
  out.topic = frame_topic(channel);
  out.header.kind = message_kind::frame;
  out.header.encoding = encoding::binary;
  out.header.schema = schema;
  out.body = ::zmq::message_t(frame_length_size + head.size() + payload.size());
  auto* bytes = static_cast<std::byte*>(out.body.data());
  auto length = static_cast<uint32_t>(head.size());
  for (std::size_t i = 0; i < frame_length_size; ++i)
    bytes[i] = static_cast<std::byte>((length >> (8 * i)) & 0xff);
  std::memcpy(bytes + frame_length_size, head.data(), head.size());
  if (!payload.empty())
    std::memcpy(bytes + frame_length_size + head.size(), payload.data(), payload.size());
  return out;
}

expected<frame_message> decode_frame_message(std::string_view topic, wire_message msg,
                                             const limits& lim, const schema_id* schema) {
  if (topic.size() > lim.max_topic)
    return error{errc::malformed_message, "frame topic of " + bytes_text(topic.size()) + " exceeds "
                                              + bytes_text(lim.max_topic)};
  if (topic.empty() || topic.back() != topic_terminator)
    return error{errc::malformed_message, "frame topic does not end with '|'"};
  auto channel = topic.substr(0, topic.size() - 1);
  if (auto valid = validate_name(channel, "channel"); !valid)
    return error{errc::malformed_message, "frame topic: " + valid.error().context};
  const auto& envelope = msg.header;
  if (envelope.kind != message_kind::frame)
    return error{errc::malformed_message, "a message of kind " + std::string{name(envelope.kind)}
                                              + " on the frames of '" + std::string{channel}
                                              + "', needs kind frame"};
  if (envelope.encoding != encoding::binary)
    return error{errc::malformed_message, "a frame message in encoding "
                                              + std::string{name(envelope.encoding)}
                                              + ", needs binary"};
  auto body = msg.bytes();
  if (body.size() > lim.max_message_size)
    return error{errc::oversized_message, "frame message of " + bytes_text(body.size())
                                              + " exceeds the limit of "
                                              + bytes_text(lim.max_message_size)};
  if (body.size() < frame_length_size)
    return error{errc::truncated_message,
                 "frame message of " + bytes_text(body.size()) + " ends inside its length field"};
  uint32_t length = 0;
  for (std::size_t i = 0; i < frame_length_size; ++i)
    length |= static_cast<uint32_t>(std::to_integer<uint8_t>(body[i])) << (8 * i);
  if (length < frame_header_min_size || length > frame_header_max_size)
    return error{errc::malformed_message, "frame header length " + std::to_string(length)
                                              + " outside " + std::to_string(frame_header_min_size)
                                              + ".." + std::to_string(frame_header_max_size)};
  if (length > body.size() - frame_length_size)
    return error{errc::truncated_message, "frame message of " + bytes_text(body.size())
                                              + " ends inside its frame header of "
                                              + bytes_text(length)};
  auto head = body.subspan(frame_length_size, length);
  if (head[0] != little_endian_archive)
    return error{errc::bad_encoding, "frame header is not a little-endian archive"};
  DXHUB_TRY(h, decode_binary<frame_header>(
                   std::string_view{reinterpret_cast<const char*>(head.data()), head.size()}));
  if (schema != nullptr && !(envelope.schema == *schema)) // the roles only cost on a mismatch
    return require_same_schema(envelope.schema, *schema,
                               "a frame of channel '" + std::string{channel} + "'",
                               "the channel's record")
        .error();
  frame_message out;
  out.channel.assign(channel);
  out.envelope = std::move(msg.header);
  out.header = h;
  out.body = std::move(msg.payload);
  out.payload_offset = frame_length_size + length;
  return out;
}

expected<frame_message> decode_frame_message(std::vector<::zmq::message_t>& parts,
                                             const limits& lim, const schema_id* schema) {
  if (parts.size() != 3)
    return error{errc::malformed_message, "frame message has " + std::to_string(parts.size())
                                              + " parts, needs 3 (topic, header, body)"};
  if (parts[0].size() > lim.max_topic)
    return error{errc::malformed_message, "frame topic of " + bytes_text(parts[0].size())
                                              + " exceeds " + bytes_text(lim.max_topic)};
  auto topic = parts[0].to_string();
  std::vector<::zmq::message_t> envelope;
  envelope.reserve(2);
  envelope.push_back(std::move(parts[1]));
  envelope.push_back(std::move(parts[2]));
  parts.clear();
  DXHUB_TRY(msg, decode_message(envelope, lim));
  return decode_frame_message(topic, std::move(msg), lim, schema);
}

} // namespace dxhub::zmq
