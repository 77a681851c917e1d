#pragma once

// The frame message: how a channel's frame crosses to another host
// (docs/protocol.md, "Frames to other hosts"). Three parts on an XPUB/SUB
// pair: the topic `<channel>|`, an envelope header of kind `frame`, and a
// body that holds the `frame_header` and the frame's bytes.

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/metadata.hpp"
#include "dxhub/schemas/schema_id.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/limits.hpp"

#include <zmq.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::zmq {

/// Bytes of the body before the encoded frame header: its length, a u32.
inline constexpr std::size_t frame_length_size = 4;

/// Bounds of the encoded frame header (cereal portable binary: the
/// endianness byte, five 8-byte fields, the metadata's u64 length and at
/// most `metadata::capacity` bytes of it).
inline constexpr std::size_t frame_header_min_size = 1 + 5 * 8 + 8;
inline constexpr std::size_t frame_header_max_size = frame_header_min_size + metadata::capacity;

/// The topic of `channel`'s frames. The terminator keeps the subscription
/// prefix of "a/b" from matching the frames of "a/bc".
std::string frame_topic(std::string_view channel);

/// A frame message to send: the parts `publisher::publish` takes (it fills
/// in the envelope's correlation, timestamp and payload size).
struct outgoing_frame {
  std::string topic;
  envelope_header header;
  ::zmq::message_t body;
};

/// Encodes a frame of `channel`, whose frames have the identity `schema`,
/// copying `payload`. Errors: frame_too_large when the body would exceed
/// `lim.max_message_size` (every receiver would refuse it).
expected<outgoing_frame> encode_frame_message(std::string_view channel, const schema_id& schema,
                                              const frame_header& h,
                                              std::span<const std::byte> payload,
                                              const limits& lim);

/// A received frame message; it owns the body its payload lies in.
struct frame_message {
  std::string channel;
  envelope_header envelope;
  frame_header header;
  ::zmq::message_t body;
  /// Where the frame's bytes start in `body`.
  std::size_t payload_offset = 0;

  /// The frame's bytes, valid while this message lives (computed on each
  /// call: a small message keeps its bytes inside `body` and moves with it).
  std::span<const std::byte> payload() const noexcept {
    auto all = std::span<const std::byte>{static_cast<const std::byte*>(body.data()), body.size()};
    return all.subspan(payload_offset);
  }
};

/// Checks and takes apart a frame message whose envelope a subscriber has
/// already decoded. `schema`, if given, is the channel's identity. Errors:
/// malformed_message (topic not a channel name with its terminator, kind not
/// `frame`, encoding not binary, frame header length out of bounds),
/// truncated_message (body shorter than its length field or than the frame
/// header it announces), oversized_message (body above the limit),
/// bad_encoding (the frame header does not decode, trailing bytes in it),
/// schema_mismatch (names both).
expected<frame_message> decode_frame_message(std::string_view topic, wire_message msg,
                                             const limits& lim, const schema_id* schema = nullptr);

/// The same from the parts as a SUB socket receives them
/// ([topic][header][body]; consumed): also checks the part count and topic
/// length (malformed_message) and the envelope (as `decode_message`).
expected<frame_message> decode_frame_message(std::vector<::zmq::message_t>& parts,
                                             const limits& lim, const schema_id* schema = nullptr);

} // namespace dxhub::zmq
