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
  /// Distinct topics the subscribers of one publisher (XPUB) may hold at a
  /// time. Each subscribed topic costs the publisher memory in libzmq's
  /// subscription trie (about 32 bytes per topic byte not shared with another
  /// topic, plus ~100 bytes per topic) and time on every publish; a client
  /// could otherwise subscribe to topics until the node runs out of memory.
  /// A subscription beyond the cap is refused: libzmq offers no way to undo
  /// one connection's subscriptions (ZMQ_XPUB_MANUAL keeps them all too), so
  /// the publisher drops every subscriber connection and counts the refusal
  /// (`publisher::refused_subscriptions`, `subscribers_full` in its counters);
  /// well-behaved SUB sockets reconnect and subscribe again. 10000 topics is
  /// far above what a lab's channels and event topics use.
  std::size_t max_subscriptions = 10000;
  /// The bytes of those topics together (the trie's size grows with them).
  std::size_t max_subscription_bytes = 256u << 10;
  /// A client's unsubscribe for a topic it never subscribed looks to the
  /// publisher like the topic's removal, so the counts above could be talked
  /// down; topics newly subscribed since the last reset are therefore bounded
  /// too, at this multiple of both caps. With the defaults the subscription
  /// trie stays in the order of 40 MiB at most, even for topics of random
  /// bytes (docs/protocol.md, "Subscriptions").
  std::size_t subscription_churn_factor = 4;
  /// Distinct topics, and their bytes, one CURVE client key may hold at a
  /// publisher with CURVE: a topic counts for the key whose subscription
  /// brought it to the publisher (libzmq attaches the connection's User-Id
  /// to each subscription), until nobody holds it. A key beyond either is
  /// banned from the publisher's endpoint (refused at the CURVE handshake)
  /// for `subscription_ban`, and every subscriber connection is dropped:
  /// the others reconnect and subscribe again, the offender stays out.
  /// Clients without CURVE are bounded by the publisher's caps alone.
  std::size_t max_subscriptions_per_client = 2000;
  std::size_t max_subscription_bytes_per_client = 64u << 10;
  /// How long a key beyond the per-client caps is refused.
  std::chrono::milliseconds subscription_ban{60000};

  /// The ZMQ_MAXMSGSIZE of receiving sockets: a frame larger than this makes
  /// libzmq drop the connection before the frame is read. It sits above
  /// `max_message_size` so that slightly oversized payloads reach the
  /// envelope check and are counted.
  int64_t transport_max_frame() const noexcept {
    return static_cast<int64_t>(max_message_size) + (64 << 10);
  }

  /// The ZMQ_MAXMSGSIZE of a publisher (XPUB), which receives nothing but
  /// subscriptions ([1 or 0][topic]): a subscription longer than a topic can
  /// be costs its connection (the margin covers CURVE's framing).
  int64_t subscription_max_frame() const noexcept {
    return static_cast<int64_t>(max_topic) + 1 + 256;
  }
};

} // namespace dxhub::zmq
