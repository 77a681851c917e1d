#pragma once

// Request/reply, server side (ROUTER): many clients, many outstanding
// requests each, replies correlated by the request's id.

#include "dxhub/transports/zmq/counters.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dxhub::zmq {

namespace detail {
struct server_core;
struct responder_state;
} // namespace detail

/// Answers one request, exactly once, from any thread, now or later. Copies
/// share the answer: the first reply wins, later ones return false.
class responder {
public:
  explicit responder(std::shared_ptr<detail::responder_state> state) : state_(std::move(state)) {}

  /// Sends `payload` as the reply; kind (default reply), correlation and
  /// payload_size of `header` are filled in.
  bool reply(envelope_header header, ::zmq::message_t payload);

  /// Encodes `value` in the request's encoding and sends it.
  template <described T>
  bool reply(const T& value);

  /// Sends an error reply: kind `error`, a `dxhub::reply` payload with the code.
  bool fail(const error& reason);

  /// Like `fail`, for a request whose payload the handler found invalid:
  /// also counted and logged as a rejection of the server.
  bool reject(const error& reason);

  /// The request's payload encoding.
  zmq::encoding encoding() const noexcept;

private:
  std::shared_ptr<detail::responder_state> state_;
};

/// A received request as the handler sees it: the message and who sent it.
struct request : wire_message {
  /// The client's CURVE public key (40 characters of Z85) as the server's
  /// ZAP handler authenticated it (ZeroMQ's "User-Id" metadata of the
  /// message); empty when the server does not use CURVE. It cannot be forged
  /// by the client: it is what the handshake proved.
  std::string peer_key;
};

/// Called on the loop thread for each valid request.
using request_handler = std::function<void(request, responder)>;

/// A server's configuration.
struct server_options : socket_options {
  /// Schemas the server accepts; empty: any. Others are rejected as
  /// `schema_mismatch` (and answered with an error reply). Untyped JSON
  /// requests (empty schema name) pass; their decoder checks the fields.
  std::vector<schema_id> accepted_schemas;
};

/// A ROUTER socket bound to an endpoint, serving requests on an io_loop.
class server {
public:
  /// Binds and starts serving. Errors: invalid_argument / permission_denied
  /// (endpoint), already_exists (address in use), system_error.
  static expected<std::unique_ptr<server>> bind(io_loop& loop, std::string_view endpoint,
                                                request_handler handler,
                                                server_options options = {});
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Where it is bound, e.g. "tcp://127.0.0.1:41234" (resolved ephemeral port).
  const std::string& endpoint() const noexcept;
  const counters& stats() const noexcept;

private:
  explicit server(std::shared_ptr<detail::server_core> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::server_core> core_;
};

template <described T>
bool responder::reply(const T& value) {
  auto payload = encode_payload(value, encoding());
  if (!payload)
    return fail(payload.error());
  return reply(header_for<T>(message_kind::reply, encoding()), std::move(payload).value());
}

} // namespace dxhub::zmq
