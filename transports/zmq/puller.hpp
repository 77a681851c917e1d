#pragma once

// Push/pull, pulling side (PULL): a worker that takes its share of the items.

#include "dxhub/transports/zmq/counters.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <functional>
#include <memory>
#include <string>

namespace dxhub::zmq {

namespace detail {
struct puller_core;
}

/// Gets each valid item, on the loop thread.
using work_handler = std::function<void(wire_message item)>;

/// A PULL socket.
class puller {
public:
  static expected<std::unique_ptr<puller>> bind(io_loop& loop, std::string_view endpoint,
                                                work_handler handler, socket_options options = {});
  static expected<std::unique_ptr<puller>> connect(io_loop& loop, std::string_view endpoint,
                                                   work_handler handler,
                                                   socket_options options = {});
  ~puller();

  puller(const puller&) = delete;
  puller& operator=(const puller&) = delete;

  const std::string& endpoint() const noexcept;
  const counters& stats() const noexcept;

private:
  explicit puller(std::shared_ptr<detail::puller_core> core) : core_(std::move(core)) {}
  static expected<std::unique_ptr<puller>> open(io_loop& loop, std::string_view endpoint, bool bind,
                                                work_handler handler, socket_options options);
  std::shared_ptr<detail::puller_core> core_;
};

} // namespace dxhub::zmq
