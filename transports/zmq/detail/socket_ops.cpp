#include "dxhub/transports/zmq/detail/socket_ops.hpp"

#include "dxhub/transports/zmq/detail/zap_handler.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"

#include <cerrno>

namespace dxhub::zmq::detail {

namespace {

expected<void> apply_security(io_loop& loop, ::zmq::socket_t& socket, const socket_options& options,
                              counters& stats, opened& result) {
  if (options.curve_server) {
    const auto& sec = *options.curve_server;
    DXHUB_TRYV(validate_key(sec.server.secret_key));
    for (const auto& key : sec.allowed_clients)
      DXHUB_TRYV(validate_key(key));
    // The ZAP handler must be bound before the socket authenticates anyone;
    // without it libzmq would let every CURVE client in.
    result.zap_domain = loop.zap().add_domain(sec.allowed_clients, &stats);
    socket.set(::zmq::sockopt::zap_domain, result.zap_domain);
    socket.set(::zmq::sockopt::curve_server, 1);
    socket.set(::zmq::sockopt::curve_secretkey, sec.server.secret_key);
  } else if (options.curve_client) {
    const auto& sec = *options.curve_client;
    DXHUB_TRYV(validate_key(sec.client.public_key));
    DXHUB_TRYV(validate_key(sec.client.secret_key));
    DXHUB_TRYV(validate_key(sec.server_public_key));
    socket.set(::zmq::sockopt::curve_serverkey, sec.server_public_key);
    socket.set(::zmq::sockopt::curve_publickey, sec.client.public_key);
    socket.set(::zmq::sockopt::curve_secretkey, sec.client.secret_key);
  }
  return ok();
}

} // namespace

expected<opened> open_socket(io_loop& loop, ::zmq::socket_t& socket, std::string_view text,
                             bool bind, const socket_options& options, counters& stats,
                             const std::function<void()>& configure) {
  DXHUB_TRY(ep, parse_endpoint(text, options.endpoints));
  opened result;
  try {
    socket.set(::zmq::sockopt::linger, 0);
    socket.set(::zmq::sockopt::maxmsgsize, options.limits.transport_max_frame());
    socket.set(::zmq::sockopt::sndhwm, options.limits.high_water_mark);
    socket.set(::zmq::sockopt::rcvhwm, options.limits.high_water_mark);
    if (configure)
      configure();
    DXHUB_TRYV(apply_security(loop, socket, options, stats, result));
    if (bind) {
      socket.bind(ep.to_string());
      result.endpoint = socket.get(::zmq::sockopt::last_endpoint);
    } else {
      socket.connect(ep.to_string());
      result.endpoint = ep.to_string();
    }
  } catch (const ::zmq::error_t& e) {
    if (!result.zap_domain.empty())
      loop.zap().remove_domain(result.zap_domain);
    return error{e.num() == EADDRINUSE ? errc::already_exists : errc::system_error,
                 std::string{bind ? "bind " : "connect "} + ep.to_string() + ": " + e.what()};
  }
  return result;
}

void close_socket(io_loop& loop, ::zmq::socket_t& socket, const std::string& zap_domain) {
  loop.remove_socket(socket);
  if (!zap_domain.empty())
    loop.zap().remove_domain(zap_domain);
  socket.close();
}

expected<void> open_served(io_loop& loop, ::zmq::socket_t& socket, std::string_view endpoint,
                           bool bind, const socket_options& options, counters& stats, opened& where,
                           std::function<void()> on_readable, std::function<void()> on_writable,
                           const std::function<void()>& prepare) {
  return loop.call([&]() -> expected<void> {
    DXHUB_TRY(result, open_socket(loop, socket, endpoint, bind, options, stats, prepare));
    where = std::move(result);
    loop.add_socket(socket, std::move(on_readable), std::move(on_writable));
    return ok();
  });
}

void close_served(io_loop& loop, ::zmq::socket_t& socket, const opened& where,
                  const std::function<void()>& before) {
  loop.call([&] {
    if (before)
      before();
    close_socket(loop, socket, where.zap_domain);
  });
}

receive_status receive_frames(::zmq::socket_t& socket, std::vector<::zmq::message_t>& frames,
                              std::size_t max_frames) {
  frames.clear();
  bool too_many = false;
  for (;;) {
    ::zmq::message_t frame;
    auto flags =
        frames.empty() && !too_many ? ::zmq::recv_flags::dontwait : ::zmq::recv_flags::none;
    // The rest of a multipart message is already there (atomic delivery).
    if (!socket.recv(frame, flags))
      return receive_status::nothing;
    bool more = frame.more();
    if (frames.size() < max_frames)
      frames.push_back(std::move(frame));
    else
      too_many = true;
    if (!more)
      return too_many ? receive_status::too_many_frames : receive_status::complete;
  }
}

std::optional<expected<wire_message>>
receive_message(::zmq::socket_t& socket, const socket_options& options, counters& stats) {
  std::vector<::zmq::message_t> frames;
  auto status = receive_frames(socket, frames, options.limits.max_frames);
  if (status == receive_status::nothing)
    return std::nullopt;
  stats.count_in(total_size(frames));
  expected<wire_message> msg = error{errc::malformed_message, "too many frames"};
  if (status != receive_status::too_many_frames)
    msg = decode_message(frames, options.limits);
  if (!msg)
    reject(stats, options, msg.error());
  return msg;
}

void reject(counters& stats, const socket_options& options, const error& reason) {
  stats.count_rejected(reason);
  if (options.on_reject)
    options.on_reject(reason);
}

std::size_t total_size(const std::vector<::zmq::message_t>& frames) noexcept {
  std::size_t total = 0;
  for (const auto& f : frames)
    total += f.size();
  return total;
}

void outbox::send(io_loop& loop, ::zmq::socket_t& socket, std::vector<::zmq::message_t> frames,
                  counters& stats) {
  loop.touch(socket);
  if (queue_.empty() && try_send(socket, frames, stats) != sent::would_block)
    return;
  queue_.push_back(std::move(frames));
  loop.want_writable(socket, true);
}

void outbox::flush(io_loop& loop, ::zmq::socket_t& socket, counters& stats) {
  loop.touch(socket);
  while (!queue_.empty()) {
    if (try_send(socket, queue_.front(), stats) == sent::would_block)
      return;
    queue_.pop_front();
  }
  loop.want_writable(socket, false);
}

outbox::sent outbox::try_send(::zmq::socket_t& socket, std::vector<::zmq::message_t>& frames,
                              counters& stats) {
  auto bytes = total_size(frames);
  try {
    // Only the first frame may find the socket full; the rest of a started
    // message always goes through.
    for (std::size_t i = 0; i < frames.size(); ++i) {
      auto flags = i + 1 < frames.size() ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none;
      if (i == 0)
        flags = flags | ::zmq::send_flags::dontwait;
      if (!socket.send(frames[i], flags))
        return sent::would_block;
    }
  } catch (const ::zmq::error_t&) {
    return sent::dropped; // e.g. EHOSTUNREACH: the peer of a ROUTER is gone
  }
  stats.count_out(bytes);
  return sent::all;
}

} // namespace dxhub::zmq::detail
