#pragma once

// The ZAP handler (RFC 27) of one io_loop's context: a REP socket on
// inproc://zeromq.zap.01, served by the loop, that lets in only CURVE clients
// whose public key is on the allow-list of the socket's ZAP domain and not
// banned from it for now (a publisher bans a key whose subscriptions went
// beyond its per-client cap).

#include "dxhub/transports/zmq/counters.hpp"

#include <zmq.hpp>

#include <chrono>
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

  /// Refuses `key` (Z85) at the handshake on sockets of `domain` until
  /// `until`, even when it is on the allow-list; counted as `unauthenticated`
  /// in the domain's stats. Loop thread only.
  void ban(const std::string& domain, const std::string& key,
           std::chrono::steady_clock::time_point until);
  /// Whether `key` is banned from `domain` now.
  bool banned(const std::string& domain, const std::string& key) const;

  ::zmq::socket_t& socket() noexcept { return socket_; }
  /// Answers every request waiting on the socket.
  void serve();

private:
  struct domain_entry {
    std::set<std::string> allowed; // Z85
    counters* stats = nullptr;
    /// Banned keys and when their ban ends (expired ones are dropped lazily).
    std::map<std::string, std::chrono::steady_clock::time_point> banned;
  };

  void answer(std::vector<::zmq::message_t>& request);

  ::zmq::socket_t socket_;
  std::map<std::string, domain_entry> domains_;
  uint64_t next_domain_ = 1;
};

} // namespace dxhub::zmq::detail
