#include "dxhub/transports/zmq/detail/zap_handler.hpp"

#include <zmq.h>
#include <zmq_addon.hpp>

#include <array>
#include <iterator>

namespace dxhub::zmq::detail {

zap_handler::zap_handler(::zmq::context_t& context) : socket_(context, ZMQ_REP) {
  socket_.set(::zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
}

std::string zap_handler::add_domain(const std::vector<std::string>& allowed_keys, counters* stats) {
  auto domain = "dxhub-" + std::to_string(next_domain_++);
  domains_[domain] = domain_entry{{allowed_keys.begin(), allowed_keys.end()}, stats, {}};
  return domain;
}

void zap_handler::remove_domain(const std::string& domain) {
  domains_.erase(domain);
}

void zap_handler::ban(const std::string& domain, const std::string& key,
                      std::chrono::steady_clock::time_point until) {
  auto entry = domains_.find(domain);
  if (entry == domains_.end())
    return;
  auto& bans = entry->second.banned;
  // Only allowed keys get here; still, expired bans do not pile up.
  auto now = std::chrono::steady_clock::now();
  std::erase_if(bans, [&](const auto& b) { return b.second <= now; });
  bans[key] = until;
}

bool zap_handler::banned(const std::string& domain, const std::string& key) const {
  auto entry = domains_.find(domain);
  if (entry == domains_.end())
    return false;
  auto it = entry->second.banned.find(key);
  return it != entry->second.banned.end() && it->second > std::chrono::steady_clock::now();
}

void zap_handler::serve() {
  for (;;) {
    // Requests come from libzmq itself (inproc): no size bound needed.
    std::vector<::zmq::message_t> request;
    try {
      if (!::zmq::recv_multipart(socket_, std::back_inserter(request), ::zmq::recv_flags::dontwait))
        return;
    } catch (const ::zmq::error_t&) {
      return;
    }
    answer(request);
  }
}

// Request: version, request id, domain, address, identity, mechanism,
// credentials...; reply: version, request id, status code, status text,
// user id, metadata.
void zap_handler::answer(std::vector<::zmq::message_t>& request) {
  std::string status = "400";
  std::string text = "denied";
  std::string user;
  auto entry = request.size() >= 6 ? domains_.find(request[2].to_string()) : domains_.end();
  if (entry != domains_.end() && request[5].to_string() == "CURVE" && request.size() >= 7
      && request[6].size() == 32) {
    std::array<char, 41> key{};
    zmq_z85_encode(key.data(), static_cast<const uint8_t*>(request[6].data()), 32);
    if (entry->second.allowed.count(key.data()) != 0 && banned(entry->first, key.data())) {
      text = "banned";
      if (entry->second.stats != nullptr)
        entry->second.stats->count_rejected(
            error{errc::unauthenticated, std::string{"CURVE key "} + key.data()
                                             + " is banned for now (its subscriptions went beyond "
                                               "the per-client cap)"});
    } else if (entry->second.allowed.count(key.data()) != 0) {
      status = "200";
      text = "OK";
      user = key.data();
    } else if (entry->second.stats != nullptr) {
      entry->second.stats->count_rejected(
          error{errc::unauthenticated, std::string{"CURVE key "} + key.data() + " is not allowed"});
    }
  } else if (entry != domains_.end() && entry->second.stats != nullptr) {
    entry->second.stats->count_rejected(
        error{errc::unauthenticated, "mechanism " + request[5].to_string() + " is not allowed"});
  }
  std::array<std::string, 6> reply{
      "1.0", request.size() > 1 ? request[1].to_string() : "", status, text, user, ""};
  try {
    for (std::size_t i = 0; i < reply.size(); ++i)
      socket_.send(::zmq::buffer(reply[i]),
                   i + 1 < reply.size() ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none);
  } catch (const ::zmq::error_t&) {
    // A REP socket that cannot answer is reset by libzmq; the handshake then fails closed.
  }
}

} // namespace dxhub::zmq::detail
