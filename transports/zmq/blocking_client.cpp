#include "dxhub/transports/zmq/blocking_client.hpp"

#include "dxhub/schemas/clock.hpp"
#include "dxhub/transports/zmq/detail/socket_ops.hpp"

namespace dxhub::zmq {

struct blocking_client::state {
  state(io_loop& l, client_options o)
    : loop(l), socket(l.context(), ZMQ_DEALER), options(std::move(o)) {}

  io_loop& loop;
  ::zmq::socket_t socket;
  client_options options;
  counters stats;
  detail::opened where;
  uint64_t next_id = 1;
};

blocking_client::blocking_client(std::unique_ptr<state> s) : state_(std::move(s)) {}

blocking_client::~blocking_client() {
  state_->socket.close();
}

expected<std::unique_ptr<blocking_client>>
blocking_client::connect(io_loop& loop, std::string_view endpoint, client_options options) {
  auto s = std::make_unique<state>(loop, std::move(options));
  try {
    s->socket.set(::zmq::sockopt::heartbeat_ivl,
                  static_cast<int>(s->options.heartbeat_interval.count()));
    s->socket.set(::zmq::sockopt::heartbeat_timeout,
                  static_cast<int>(s->options.heartbeat_timeout.count()));
    s->socket.set(::zmq::sockopt::heartbeat_ttl,
                  static_cast<int>(s->options.heartbeat_timeout.count()));
  } catch (const ::zmq::error_t& e) {
    return error{errc::system_error, std::string{"client setup: "} + e.what()};
  }
  // A client socket needs no ZAP domain: open_socket leaves the loop alone.
  DXHUB_TRY(where, detail::open_socket(loop, s->socket, endpoint, false, s->options, s->stats));
  s->where = std::move(where);
  return std::unique_ptr<blocking_client>{new blocking_client{std::move(s)}};
}

expected<wire_message> blocking_client::request(envelope_header header, ::zmq::message_t payload,
                                                std::chrono::milliseconds timeout) {
  auto& s = *state_;
  auto id = s.next_id++;
  header.kind = message_kind::request;
  header.correlation = id;
  header.timestamp_ns = wall_ns();
  header.payload_size = static_cast<uint32_t>(payload.size());
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto head = encode_header(header);
  auto bytes = head.size() + payload.size();
  try {
    ::zmq::pollitem_t out{s.socket.handle(), 0, ZMQ_POLLOUT, 0};
    if (::zmq::poll(&out, 1, timeout) == 0)
      return error{errc::timeout, "server " + s.where.endpoint + " takes no request within "
                                      + std::to_string(timeout.count()) + " ms"};
    s.socket.send(head, ::zmq::send_flags::sndmore);
    s.socket.send(payload, ::zmq::send_flags::none);
  } catch (const ::zmq::error_t& e) {
    return error{errc::system_error, std::string{"send: "} + e.what()};
  }
  s.stats.count_out(bytes);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ::zmq::pollitem_t in{s.socket.handle(), 0, ZMQ_POLLIN, 0};
    if (left.count() <= 0 || ::zmq::poll(&in, 1, left) == 0)
      return error{errc::timeout, "no reply within " + std::to_string(timeout.count()) + " ms"};
    auto received = detail::receive_message(s.socket, s.options, s.stats);
    if (!received || !*received)
      continue;
    auto& msg = *received;
    auto kind = msg.value().header.kind;
    if (kind != message_kind::reply && kind != message_kind::error) {
      detail::reject(s.stats, s.options,
                     error{errc::malformed_message,
                           "a client takes replies, got a " + std::string{name(kind)}});
      continue;
    }
    if (msg.value().header.correlation != id) {
      detail::reject(s.stats, s.options,
                     error{errc::timeout, "reply " + std::to_string(msg.value().header.correlation)
                                              + " matches no waiting request"});
      continue;
    }
    if (kind == message_kind::error)
      return error_from_reply(msg.value());
    return std::move(msg).value();
  }
}

const counters& blocking_client::stats() const noexcept {
  return state_->stats;
}

} // namespace dxhub::zmq
