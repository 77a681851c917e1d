#pragma once

// The ZAP handler (RFC 27) of one io_loop's context: a REP socket on
// inproc://zeromq.zap.01, served by the loop, that lets in only CURVE clients
// whose public key is on the allow-list of the socket's ZAP domain.

#include "dxhub/transports/zmq/counters.hpp"

#include <zmq.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace dxhub::zmq::detail {

class zap_handler {
public:
  /// Binds the handler's socket in `context`; its io_loop serves it
  /// (`serve` when `socket` is readable).
  explicit zap_handler(::zmq::context_t& context);

  zap_handler(const zap_handler&) = delete;
  zap_handler& operator=(const zap_handler&) = delete;

  /// Registers a domain; denials are counted as `unauthenticated` in `stats`.
  /// Returns the domain name to set as ZMQ_ZAP_DOMAIN.
  std::string add_domain(const std::vector<std::string>& allowed_keys, counters* stats);
  void remove_domain(const std::string& domain);

  ::zmq::socket_t& socket() noexcept { return socket_; }
  /// Answers every request waiting on the socket.
  void serve();

private:
  struct domain_entry {
    std::set<std::string> allowed; // Z85
    counters* stats = nullptr;
  };

  void answer(std::vector<::zmq::message_t>& request);

  ::zmq::socket_t socket_;
  std::map<std::string, domain_entry> domains_;
  uint64_t next_domain_ = 1;
};

} // namespace dxhub::zmq::detail
