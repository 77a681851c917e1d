#include "dxhub/runtime/detail/peer_clients.hpp"

#include "dxhub/runtime/detail/node_keys.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/transports/zmq/client.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"

namespace dxhub::runtime::detail {

namespace {

error stopping(const std::string& name) {
  return error{errc::peer_down, "node '" + name + "' is stopping"};
}

/// A node's answer to a call: its reply, or the error it or the transport sent.
expected<reply> reply_of(expected<zmq::wire_message> answer) {
  if (!answer)
    return answer.error();
  if (answer.value().header.kind == zmq::message_kind::error)
    return zmq::error_from_reply(answer.value());
  return zmq::decode_payload<reply>(answer.value());
}

} // namespace

peer_clients::peer_clients(const network_context& net) : net_(net) {}

peer_clients::~peer_clients() = default;

void peer_clients::close() {
  clients_.clear();
}

zmq::client* peer_clients::client_for(const std::string& endpoint, const std::string& server_key,
                                      error& failure) {
  if (auto it = clients_.find(endpoint); it != clients_.end())
    return it->second.get();
  zmq::client_options opts;
  static_cast<zmq::socket_options&>(opts) = net_.keys.client_options(server_key);
  opts.heartbeat_interval = net_.node.options.timing.peer_heartbeat_interval;
  opts.heartbeat_timeout = net_.node.options.timing.peer_heartbeat_timeout;
  auto made = zmq::client::connect(net_.loop, endpoint, opts);
  if (!made) {
    failure = made.error();
    return nullptr;
  }
  return (clients_[endpoint] = std::move(made).value()).get();
}

void peer_clients::call(const std::string& endpoint, const command& cmd,
                        std::chrono::milliseconds timeout, reply_callback done,
                        std::string server_key) {
  if (server_key.empty() && endpoint == net_.node.options.registry)
    server_key = net_.keys.registry_key();
  if (net_.closed) {
    done(stopping(net_.node.name()));
    return;
  }
  // Encoded here, by the calling thread: the loop is held only to send.
  auto payload = zmq::encode_payload(cmd, zmq::encoding::binary);
  if (!payload) {
    done(payload.error());
    return;
  }
  // Shared: a dispatched function is copyable, a message is not.
  auto request = std::make_shared<::zmq::message_t>(std::move(payload).value());
  // Dispatched: the calling thread sends the request itself when it can.
  net_.loop.dispatch([this, endpoint, request, timeout, done = std::move(done),
                      server_key = std::move(server_key)]() mutable {
    if (net_.closed) {
      done(stopping(net_.node.name()));
      return;
    }
    error failure;
    auto* c = client_for(endpoint, server_key, failure);
    if (c == nullptr) {
      done(failure);
      return;
    }
    auto header = zmq::header_for<command>(zmq::message_kind::request, zmq::encoding::binary);
    // The answer is handed over: the caller, woken by it, finds this
    // thread asleep and sends its next request itself. The client answers
    // a request once.
    c->request(header, std::move(*request), timeout,
               [this, done = std::move(done)](expected<zmq::wire_message> answer) mutable {
                 net_.loop.hand_over(
                     [done = std::move(done), r = reply_of(std::move(answer))]() mutable {
                       done(std::move(r));
                     });
               });
  });
}

} // namespace dxhub::runtime::detail
