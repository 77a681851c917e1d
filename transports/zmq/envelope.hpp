#pragma once

// The envelope of every dxhub message on ZeroMQ: a fixed little-endian header
// frame followed by one payload frame (docs/protocol.md, sections 3 and 4).

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/schema_id.hpp"
#include "dxhub/transports/zmq/limits.hpp"

#include <zmq.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace dxhub::zmq {

/// What a message is for; one byte on the wire.
enum class message_kind : uint8_t { request, reply, error, event, frame, work, heartbeat, hello };

/// How the payload is encoded; one byte on the wire.
enum class encoding : uint8_t { binary, json };

/// "DXHB": the first four bytes of every header frame.
inline constexpr std::array<std::byte, 4> envelope_magic{std::byte{'D'}, std::byte{'X'},
                                                         std::byte{'H'}, std::byte{'B'}};

/// The protocol version this library speaks.
inline constexpr uint8_t protocol_version = 1;

/// The topic namespace in which a subscriber asks for JSON: a subscription
/// to "json:" + prefix gets what a `publisher` publishes by value under
/// topics with that prefix as JSON copies, under "json:" + topic
/// (docs/protocol.md, section 5.4). Names never contain ':'.
inline constexpr std::string_view json_topic_prefix = "json:";

/// Bytes of the header before the schema name.
inline constexpr std::size_t header_fixed_size = 44;

/// The decoded header frame of a message.
struct envelope_header {
  message_kind kind = message_kind::request;
  zmq::encoding encoding = zmq::encoding::binary;
  /// The identity of the payload's type (empty name: untyped).
  schema_id schema;
  /// Matches a reply to its request; a sequence number for events and frames.
  uint64_t correlation = 0;
  /// CLOCK_REALTIME of the sender when sent, in ns.
  int64_t timestamp_ns = 0;
  /// Bytes in the payload frame.
  uint32_t payload_size = 0;

  friend bool operator==(const envelope_header&, const envelope_header&) = default;
};

/// The stable name of a kind ("request") and of an encoding ("json").
std::string_view name(message_kind kind) noexcept;
std::string_view name(zmq::encoding enc) noexcept;

/// The header frame's bytes (44 + schema name length).
std::vector<std::byte> encode_header_bytes(const envelope_header& header);

/// The header frame as a ZeroMQ message.
::zmq::message_t encode_header(const envelope_header& header);

/// Checks and decodes a header frame from untrusted bytes. Errors:
/// truncated_message, bad_magic, unsupported_version, malformed_message
/// (unknown kind or encoding, reserved bits set, bad schema name, trailing
/// bytes), oversized_message (payload_size above `lim.max_message_size`).
expected<envelope_header> decode_header(std::span<const std::byte> bytes, const limits& lim);

/// A received message: its header and its payload frame, as received (no copy).
struct wire_message {
  envelope_header header;
  ::zmq::message_t payload;

  std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(payload.data()), payload.size()};
  }
};

/// Checks a message's envelope frames ([header][payload], routing and topic
/// frames already removed) and takes them apart. Errors as `decode_header`,
/// plus malformed_message (frame count) and truncated_message (payload
/// shorter than the header says).
expected<wire_message> decode_message(std::vector<::zmq::message_t>& frames, const limits& lim);

/// A payload frame over `bytes` that the caller keeps alive through `owner`:
/// ZeroMQ sends from the buffer itself and releases `owner` when done.
template <class Owner>
::zmq::message_t borrow_payload(std::shared_ptr<Owner> owner, std::span<const std::byte> bytes);

/// A payload frame over a buffer that outlives every message sent from it
/// (a static table, a buffer owned by whoever owns the io_loop): no copy and
/// no release callback. libzmq's constant messages are markedly cheaper than
/// released ones for multi-megabyte payloads (see dxhub-bench-zmq).
inline ::zmq::message_t static_payload(std::span<const std::byte> bytes) {
  return ::zmq::message_t{const_cast<std::byte*>(bytes.data()), bytes.size(), nullptr, nullptr};
}

namespace detail {
void release_owner(void* data, void* hint) noexcept;
struct owner_box {
  std::shared_ptr<const void> owner;
};
} // namespace detail

template <class Owner>
::zmq::message_t borrow_payload(std::shared_ptr<Owner> owner, std::span<const std::byte> bytes) {
  auto* box = new detail::owner_box{std::static_pointer_cast<const void>(std::move(owner))};
  return ::zmq::message_t{const_cast<std::byte*>(bytes.data()), bytes.size(),
                          &detail::release_owner, box};
}

} // namespace dxhub::zmq
