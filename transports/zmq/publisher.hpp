#pragma once

// Publish/subscribe, publishing side (XPUB): messages go out under a topic
// (the first frame); subscribers select topics by prefix.

#include "dxhub/transports/zmq/counters.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace dxhub::zmq {

namespace detail {
struct publisher_core;
}

/// An XPUB socket bound to an endpoint. Never waits for slow subscribers:
/// past their high-water mark they lose messages (ZeroMQ PUB semantics).
/// Bounds what subscribers can make it hold (`limits::max_subscriptions`,
/// `max_subscription_bytes`): a subscription beyond the cap is refused by
/// dropping every subscriber connection (they reconnect and subscribe again).
/// With CURVE, each client key is bounded too: a key beyond its own cap is
/// banned from the endpoint for a while before the connections are dropped,
/// so that only the offender stays out.
class publisher {
public:
  static expected<std::unique_ptr<publisher>> bind(io_loop& loop, std::string_view endpoint,
                                                   socket_options options = {});
  ~publisher();

  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  /// Publishes [topic][header][payload]; kind defaults to event, and the
  /// correlation is this publisher's sequence number. Any thread.
  /// Returns the sequence number.
  uint64_t publish(std::string topic, envelope_header header, ::zmq::message_t payload);

  /// Encodes `value` and publishes it as an event. While a subscriber asks
  /// for JSON under a prefix of `topic` (`json_topic_prefix`), a JSON copy
  /// goes out too, under "json:" + topic with the same sequence number.
  template <described T>
  expected<uint64_t> publish(std::string topic, const T& value,
                             zmq::encoding enc = zmq::encoding::binary) {
    DXHUB_TRY(payload, encode_payload(value, enc));
    auto json_topic = json_copy_topic(topic);
    auto sequence =
        publish(std::move(topic), header_for<T>(message_kind::event, enc), std::move(payload));
    if (!json_topic.empty()) {
      auto copy = encode_payload(value, zmq::encoding::json);
      if (copy)
        send(sequence, std::move(json_topic),
             header_for<T>(message_kind::event, zmq::encoding::json), std::move(copy).value());
    }
    return sequence;
  }

  /// Distinct topics subscribed, as libzmq reports them: a topic counts once
  /// however many subscribers hold it.
  int subscriptions() const noexcept;
  /// The same count, live, for whoever checks it on every frame: one cache
  /// line to read instead of the publisher's state. It may outlive the
  /// publisher (it then keeps its last value).
  std::shared_ptr<const std::atomic<int>> subscription_count() const;
  /// The JSON topic prefixes subscribed to ("json:lab/"), each once.
  std::vector<std::string> json_subscriptions() const;
  /// Waits until at least `count` distinct topics are subscribed.
  bool wait_for_subscriptions(int count, std::chrono::milliseconds timeout) const;
  /// Subscriptions refused because they were beyond the cap (each is also
  /// what made the publisher drop its subscriber connections).
  uint64_t refused_subscriptions() const noexcept;
  /// How often the publisher dropped every subscriber connection to enforce
  /// the cap; each time is also counted as `subscribers_full` in `stats()`
  /// and passed to the options' `on_reject` with the numbers.
  uint64_t subscription_resets() const noexcept;
  /// How often a CURVE client key went beyond the per-client caps
  /// (`limits::max_subscriptions_per_client`, `max_subscription_bytes_per_client`)
  /// and was banned from the endpoint for `limits::subscription_ban` (each
  /// also dropped every connection, counted in `subscription_resets`, and
  /// went to `on_reject` as `subscribers_full` naming the key).
  uint64_t banned_clients() const noexcept;

  const std::string& endpoint() const noexcept;
  const counters& stats() const noexcept;

private:
  explicit publisher(std::shared_ptr<detail::publisher_core> core) : core_(std::move(core)) {}
  /// "json:" + topic when a JSON subscription covers `topic` (and the result
  /// fits the topic limit), else "".
  std::string json_copy_topic(const std::string& topic) const;
  void send(uint64_t sequence, std::string topic, envelope_header header, ::zmq::message_t payload);
  std::shared_ptr<detail::publisher_core> core_;
};

} // namespace dxhub::zmq
