#pragma once

// Push/pull, pushing side (PUSH): work items go round-robin to the
// connected pullers, each item to exactly one of them.

#include "dxhub/transports/zmq/counters.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <memory>
#include <string>

namespace dxhub::zmq {

namespace detail {
struct pusher_core;
}

/// A PUSH socket. Items wait (in order, in memory) while no puller can take them.
class pusher {
public:
  static expected<std::unique_ptr<pusher>> bind(io_loop& loop, std::string_view endpoint,
                                                socket_options options = {});
  static expected<std::unique_ptr<pusher>> connect(io_loop& loop, std::string_view endpoint,
                                                   socket_options options = {});
  ~pusher();

  pusher(const pusher&) = delete;
  pusher& operator=(const pusher&) = delete;

  /// Sends [header][payload]; kind defaults to work, the correlation is this
  /// pusher's sequence number. Any thread. Returns the sequence number.
  uint64_t push(envelope_header header, ::zmq::message_t payload);

  template <described T>
  expected<uint64_t> push(const T& value, zmq::encoding enc = zmq::encoding::binary) {
    DXHUB_TRY(payload, encode_payload(value, enc));
    return push(header_for<T>(message_kind::work, enc), std::move(payload));
  }

  /// Items not yet handed to ZeroMQ.
  std::size_t waiting() const noexcept;
  const std::string& endpoint() const noexcept;
  const counters& stats() const noexcept;

private:
  explicit pusher(std::shared_ptr<detail::pusher_core> core) : core_(std::move(core)) {}
  static expected<std::unique_ptr<pusher>> open(io_loop& loop, std::string_view endpoint, bool bind,
                                                socket_options options);
  std::shared_ptr<detail::pusher_core> core_;
};

} // namespace dxhub::zmq
