#pragma once

// What every dxhub socket does alike: configure limits and security, bind or
// connect, receive a bounded multipart message, queue what cannot be sent yet.

#include "dxhub/schemas/expected.hpp"
#include "dxhub/transports/zmq/counters.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <zmq.hpp>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::zmq {
class io_loop;
}

namespace dxhub::zmq::detail {

/// A socket's setup result: the endpoint it is bound or connected to
/// (ZMQ_LAST_ENDPOINT when bound) and its ZAP domain (empty without CURVE server).
struct opened {
  std::string endpoint;
  std::string zap_domain;
};

/// Loop thread only: applies limits, then `configure` (the pattern's own
/// socket options, which may override the limits'), then security, then binds
/// or connects.
expected<opened> open_socket(io_loop& loop, ::zmq::socket_t& socket, std::string_view endpoint,
                             bool bind, const socket_options& options, counters& stats,
                             const std::function<void()>& configure = {});

/// Loop thread only: undoes `open_socket`'s ZAP registration and closes the socket.
void close_socket(io_loop& loop, ::zmq::socket_t& socket, const std::string& zap_domain);

/// Any thread: what every pattern does to start serving a socket, on the
/// loop thread - `open_socket` with `prepare` (the pattern's own socket
/// options), `where` recorded, then the loop calls `on_readable` (and
/// `on_writable`).
expected<void> open_served(io_loop& loop, ::zmq::socket_t& socket, std::string_view endpoint,
                           bool bind, const socket_options& options, counters& stats, opened& where,
                           std::function<void()> on_readable,
                           std::function<void()> on_writable = {},
                           const std::function<void()>& prepare = {});

/// Any thread: stops serving and closes the socket on the loop thread, after
/// running `before` there.
void close_served(io_loop& loop, ::zmq::socket_t& socket, const opened& where,
                  const std::function<void()>& before = {});

/// The outcome of one bounded receive.
enum class receive_status { nothing, complete, too_many_frames };

/// Receives one whole multipart message without waiting; frames beyond
/// `max_frames` are read and dropped (the message is then malformed).
receive_status receive_frames(::zmq::socket_t& socket, std::vector<::zmq::message_t>& frames,
                              std::size_t max_frames);

/// Receives, counts and decodes one envelope message ([header][payload], no
/// routing or topic frames) without waiting. nullopt: nothing waits. An
/// error: the message was malformed and is rejected (counted and logged).
std::optional<expected<wire_message>>
receive_message(::zmq::socket_t& socket, const socket_options& options, counters& stats);

/// Counts and logs a rejected message.
void reject(counters& stats, const socket_options& options, const error& reason);

/// The size of all frames together.
std::size_t total_size(const std::vector<::zmq::message_t>& frames) noexcept;

/// Messages waiting for a socket that could not take them yet (high-water
/// mark reached): kept in order and sent when the socket becomes writable.
class outbox {
public:
  /// Sends `frames` now if possible, else queues them; asks the loop for
  /// writability while something waits.
  void send(io_loop& loop, ::zmq::socket_t& socket, std::vector<::zmq::message_t> frames,
            counters& stats);
  /// Sends what waits, as far as the socket takes it.
  void flush(io_loop& loop, ::zmq::socket_t& socket, counters& stats);
  std::size_t size() const noexcept { return queue_.size(); }

private:
  enum class sent { all, would_block, dropped };
  sent try_send(::zmq::socket_t& socket, std::vector<::zmq::message_t>& frames, counters& stats);

  std::deque<std::vector<::zmq::message_t>> queue_;
};

} // namespace dxhub::zmq::detail
