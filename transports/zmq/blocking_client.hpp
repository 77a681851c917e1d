#pragma once

// Request/reply, client side, for one calling thread: the DEALER socket
// belongs to the caller, who sends and waits on it directly. `client` hands
// every request to its io_loop thread and the reply back, two thread wake-ups
// per round trip (on this 2-core VM about 60 µs each, a fifth of a 1 MiB round
// trip); this one has none, at the price of one request at a time.

#include "dxhub/transports/zmq/client.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <chrono>
#include <memory>
#include <string_view>

namespace dxhub::zmq {

/// A DEALER socket connected to one server, used by one thread at a time.
/// Same envelope, limits, CURVE and counters as `client`.
class blocking_client {
public:
  /// Connects (in the background: the first request waits until the server
  /// is there). The socket lives in `loop`'s context but is never polled by
  /// the loop.
  static expected<std::unique_ptr<blocking_client>>
  connect(io_loop& loop, std::string_view endpoint, client_options options = {});
  ~blocking_client();

  blocking_client(const blocking_client&) = delete;
  blocking_client& operator=(const blocking_client&) = delete;

  /// Sends a request and waits for its reply, or `timeout`; the header's
  /// kind, correlation, timestamp and payload_size are filled in. A late
  /// reply to an earlier, timed-out request is counted as rejected and
  /// skipped. Errors as `client::request`.
  expected<wire_message> request(envelope_header header, ::zmq::message_t payload,
                                 std::chrono::milliseconds timeout);

  /// Typed round trip: encodes `value`, waits, checks and decodes the reply.
  template <described Reply, described Request>
  expected<Reply> call(const Request& value, std::chrono::milliseconds timeout,
                       zmq::encoding enc = zmq::encoding::binary) {
    DXHUB_TRY(payload, encode_payload(value, enc));
    DXHUB_TRY(answer, request(header_for<Request>(message_kind::request, enc), std::move(payload),
                              timeout));
    return decode_payload<Reply>(answer);
  }

  const counters& stats() const noexcept;

private:
  struct state;
  explicit blocking_client(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

} // namespace dxhub::zmq
