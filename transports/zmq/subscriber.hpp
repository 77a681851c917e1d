#pragma once

// Publish/subscribe, receiving side (SUB): topics selected by prefix,
// messages delivered to a callback on the loop thread.

#include "dxhub/transports/zmq/counters.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::zmq {

namespace detail {
struct subscriber_core;
}

/// Gets each valid message with its topic, on the loop thread.
using topic_handler = std::function<void(std::string_view topic, wire_message msg)>;

/// A SUB socket connected to a publisher.
class subscriber {
public:
  /// Connects and subscribes to `prefixes` ("" = everything).
  static expected<std::unique_ptr<subscriber>> connect(io_loop& loop, std::string_view endpoint,
                                                       std::vector<std::string> prefixes,
                                                       topic_handler handler,
                                                       socket_options options = {});
  ~subscriber();

  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  /// Adds or removes a topic prefix. Any thread.
  void subscribe(std::string prefix);
  void unsubscribe(std::string prefix);

  const counters& stats() const noexcept;

private:
  explicit subscriber(std::shared_ptr<detail::subscriber_core> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::subscriber_core> core_;
};

} // namespace dxhub::zmq
