#include "dxhub/transports/zmq/envelope.hpp"

#include <cstring>
#include <string>

namespace dxhub::zmq {

namespace {

// Offsets of the header fields (docs/protocol.md, "The header frame").
constexpr std::size_t off_version = 4;
constexpr std::size_t off_kind = 5;
constexpr std::size_t off_encoding = 6;
constexpr std::size_t off_flags = 7;
constexpr std::size_t off_correlation = 8;
constexpr std::size_t off_timestamp = 16;
constexpr std::size_t off_schema_hash = 24;
constexpr std::size_t off_schema_version = 32;
constexpr std::size_t off_payload_size = 36;
constexpr std::size_t off_name_length = 40;
constexpr std::size_t off_reserved = 42;

constexpr uint8_t kind_count = static_cast<uint8_t>(message_kind::hello) + 1;
constexpr uint8_t encoding_count = static_cast<uint8_t>(encoding::json) + 1;

template <class T>
void put_le(std::byte* out, T value) noexcept {
  auto raw = static_cast<std::make_unsigned_t<T>>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out[i] = static_cast<std::byte>((raw >> (8 * i)) & 0xff);
}

template <class T>
T get_le(const std::byte* in) noexcept {
  std::make_unsigned_t<T> raw = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    raw |= static_cast<std::make_unsigned_t<T>>(std::to_integer<uint8_t>(in[i])) << (8 * i);
  return static_cast<T>(raw);
}

// Schema names are printable ASCII: they end up in logs and error texts.
bool printable(std::string_view text) noexcept {
  for (unsigned char c : text)
    if (c < 0x20 || c > 0x7e)
      return false;
  return true;
}

} // namespace

std::string_view name(message_kind kind) noexcept {
  switch (kind) {
    case message_kind::request:
      return "request";
    case message_kind::reply:
      return "reply";
    case message_kind::error:
      return "error";
    case message_kind::event:
      return "event";
    case message_kind::frame:
      return "frame";
    case message_kind::work:
      return "work";
    case message_kind::heartbeat:
      return "heartbeat";
    case message_kind::hello:
      return "hello";
  }
  return "unknown";
}

std::string_view name(zmq::encoding enc) noexcept {
  return enc == encoding::json ? "json" : enc == encoding::binary ? "binary" : "unknown";
}

std::vector<std::byte> encode_header_bytes(const envelope_header& header) {
  auto name_length = static_cast<uint16_t>(header.schema.name.size());
  std::vector<std::byte> out(header_fixed_size + name_length);
  std::memcpy(out.data(), envelope_magic.data(), envelope_magic.size());
  out[off_version] = std::byte{protocol_version};
  out[off_kind] = static_cast<std::byte>(header.kind);
  out[off_encoding] = static_cast<std::byte>(header.encoding);
  out[off_flags] = std::byte{0};
  put_le(out.data() + off_correlation, header.correlation);
  put_le(out.data() + off_timestamp, header.timestamp_ns);
  put_le(out.data() + off_schema_hash, header.schema.hash);
  put_le(out.data() + off_schema_version, header.schema.version);
  put_le(out.data() + off_payload_size, header.payload_size);
  put_le(out.data() + off_name_length, name_length);
  put_le(out.data() + off_reserved, uint16_t{0});
  std::memcpy(out.data() + header_fixed_size, header.schema.name.data(), name_length);
  return out;
}

::zmq::message_t encode_header(const envelope_header& header) {
  auto bytes = encode_header_bytes(header);
  return ::zmq::message_t{bytes.data(), bytes.size()};
}

expected<envelope_header> decode_header(std::span<const std::byte> bytes, const limits& lim) {
  if (bytes.size() < header_fixed_size)
    return error{errc::truncated_message, "header frame has " + std::to_string(bytes.size())
                                              + " bytes, needs at least "
                                              + std::to_string(header_fixed_size)};
  if (std::memcmp(bytes.data(), envelope_magic.data(), envelope_magic.size()) != 0)
    return error{errc::bad_magic, "header frame does not start with \"DXHB\""};
  auto version = std::to_integer<uint8_t>(bytes[off_version]);
  if (version != protocol_version)
    return error{errc::unsupported_version, "protocol version " + std::to_string(version)
                                                + ", this side speaks "
                                                + std::to_string(protocol_version)};
  auto kind = std::to_integer<uint8_t>(bytes[off_kind]);
  if (kind >= kind_count)
    return error{errc::malformed_message, "unknown message kind " + std::to_string(kind)};
  auto enc = std::to_integer<uint8_t>(bytes[off_encoding]);
  if (enc >= encoding_count)
    return error{errc::malformed_message, "unknown payload encoding " + std::to_string(enc)};
  if (bytes[off_flags] != std::byte{0} || get_le<uint16_t>(bytes.data() + off_reserved) != 0)
    return error{errc::malformed_message, "reserved header bits are set"};
  envelope_header header;
  header.kind = static_cast<message_kind>(kind);
  header.encoding = static_cast<zmq::encoding>(enc);
  header.correlation = get_le<uint64_t>(bytes.data() + off_correlation);
  header.timestamp_ns = get_le<int64_t>(bytes.data() + off_timestamp);
  header.schema.hash = get_le<uint64_t>(bytes.data() + off_schema_hash);
  header.schema.version = get_le<uint32_t>(bytes.data() + off_schema_version);
  header.payload_size = get_le<uint32_t>(bytes.data() + off_payload_size);
  auto name_length = get_le<uint16_t>(bytes.data() + off_name_length);
  if (name_length > lim.max_schema_name)
    return error{errc::malformed_message, "schema name of " + std::to_string(name_length)
                                              + " bytes exceeds "
                                              + std::to_string(lim.max_schema_name)};
  if (bytes.size() < header_fixed_size + name_length)
    return error{errc::truncated_message, "header frame ends inside the schema name"};
  if (bytes.size() > header_fixed_size + name_length)
    return error{errc::malformed_message,
                 "header frame has "
                     + std::to_string(bytes.size() - header_fixed_size - name_length)
                     + " trailing bytes"};
  header.schema.name.assign(reinterpret_cast<const char*>(bytes.data()) + header_fixed_size,
                            name_length);
  if (!printable(header.schema.name))
    return error{errc::malformed_message, "schema name holds non-printable bytes"};
  if (header.payload_size > lim.max_message_size)
    return error{errc::oversized_message, "payload of " + std::to_string(header.payload_size)
                                              + " bytes exceeds the limit of "
                                              + std::to_string(lim.max_message_size)};
  return header;
}

expected<wire_message> decode_message(std::vector<::zmq::message_t>& frames, const limits& lim) {
  if (frames.size() != 2)
    return error{errc::malformed_message, "message has " + std::to_string(frames.size())
                                              + " envelope frames, needs 2 (header, payload)"};
  auto& payload = frames[1];
  if (payload.size() > lim.max_message_size)
    return error{errc::oversized_message, "payload frame of " + std::to_string(payload.size())
                                              + " bytes exceeds the limit of "
                                              + std::to_string(lim.max_message_size)};
  std::span<const std::byte> head{static_cast<const std::byte*>(frames[0].data()),
                                  frames[0].size()};
  DXHUB_TRY(header, decode_header(head, lim));
  if (payload.size() < header.payload_size)
    return error{errc::truncated_message, "payload frame has " + std::to_string(payload.size())
                                              + " bytes, header says "
                                              + std::to_string(header.payload_size)};
  if (payload.size() > header.payload_size)
    return error{errc::malformed_message, "payload frame has " + std::to_string(payload.size())
                                              + " bytes, header says "
                                              + std::to_string(header.payload_size)};
  return wire_message{std::move(header), std::move(payload)};
}

namespace detail {

void release_owner(void*, void* hint) noexcept {
  delete static_cast<owner_box*>(hint);
}

} // namespace detail

} // namespace dxhub::zmq
