#pragma once

// Request/reply, client side (DEALER): many outstanding requests, each
// matched to its reply by correlation id, each with its own timeout.

#include "dxhub/schemas/reply.hpp"
#include "dxhub/transports/zmq/counters.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace dxhub::zmq {

namespace detail {
struct client_core;
}

/// A client's configuration.
struct client_options : socket_options {
  /// ZMTP heartbeat period; a server silent for `heartbeat_timeout` is
  /// dropped and its pending requests fail with `errc::peer_down`.
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{3000};
};

/// Gets the reply, or timeout / peer_down / unauthenticated / the error the
/// server sent. Called on the loop thread.
using reply_handler = std::function<void(expected<wire_message>)>;

/// A DEALER socket connected to one server.
class client {
public:
  /// Connects (in the background: requests wait until the server is there).
  static expected<std::unique_ptr<client>> connect(io_loop& loop, std::string_view endpoint,
                                                   client_options options = {});
  /// Pending requests are dropped without a call.
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends a request; `done` is called exactly once. The header's kind,
  /// correlation, timestamp and payload_size are filled in. Any thread.
  /// Returns the correlation id.
  uint64_t request(envelope_header header, ::zmq::message_t payload,
                   std::chrono::milliseconds timeout, reply_handler done);

  /// Blocks until the reply or the timeout. Not on the loop thread.
  expected<wire_message> request_sync(envelope_header header, ::zmq::message_t payload,
                                      std::chrono::milliseconds timeout);

  /// Typed round trip: encodes `value`, waits, checks and decodes the reply.
  template <described Reply, described Request>
  expected<Reply> call(const Request& value, std::chrono::milliseconds timeout,
                       zmq::encoding enc = zmq::encoding::binary);

  const counters& stats() const noexcept;
  /// Requests waiting for their reply.
  std::size_t pending() const noexcept;

private:
  explicit client(std::shared_ptr<detail::client_core> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::client_core> core_;
};

/// The error carried by an `error` reply (its `dxhub::reply` payload).
error error_from_reply(const wire_message& msg);

template <described Reply, described Request>
expected<Reply> client::call(const Request& value, std::chrono::milliseconds timeout,
                             zmq::encoding enc) {
  DXHUB_TRY(payload, encode_payload(value, enc));
  DXHUB_TRY(answer, request_sync(header_for<Request>(message_kind::request, enc),
                                 std::move(payload), timeout));
  return decode_payload<Reply>(answer);
}

} // namespace dxhub::zmq
