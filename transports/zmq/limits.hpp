#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dxhub::zmq {

/// The bounds a receiving socket enforces on untrusted input; every key has a
/// documented default (docs/protocol.md, "Limits").
struct limits {
  /// Largest payload accepted, in bytes; the header's `payload_size` and the
  /// payload frame are checked against it (`errc::oversized_message`).
  std::size_t max_message_size = 64u << 20;
  /// Frames of one message beyond which it is malformed (routing frames excluded).
  std::size_t max_frames = 4;
  /// Longest schema name in a header.
  std::size_t max_schema_name = 255;
  /// Longest topic of a published message.
  std::size_t max_topic = 255;
  /// Queued messages per socket and direction before the sender waits (ZMQ_SNDHWM/RCVHWM).
  int high_water_mark = 100000;
  /// Messages one readable socket may hand over before the loop serves the others.
  int batch = 256;
  /// Requests of one client a server holds unanswered at a time; more are
  /// answered at once with `would_block` (a client cannot make the server
  /// keep unbounded state for it).
  std::size_t max_in_flight_per_client = 4096;

  /// The ZMQ_MAXMSGSIZE of receiving sockets: a frame larger than this makes
  /// libzmq drop the connection before the frame is read. It sits above
  /// `max_message_size` so that slightly oversized payloads reach the
  /// envelope check and are counted.
  int64_t transport_max_frame() const noexcept {
    return static_cast<int64_t>(max_message_size) + (64 << 10);
  }
};

} // namespace dxhub::zmq
