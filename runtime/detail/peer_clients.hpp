#pragma once

// The node's clients to other nodes' command endpoints: one per endpoint,
// kept while the node runs. A call is encoded by the calling thread and sent
// by the network thread, which owns the clients.

#include "dxhub/runtime/detail/network_context.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/reply.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace dxhub::zmq {
class client;
} // namespace dxhub::zmq

namespace dxhub::runtime::detail {

/// Gets the reply of a remote call; runs on the network thread.
using reply_callback = std::function<void(expected<reply>)>;

class peer_clients {
public:
  /// Once the network is closed, calls fail with peer_down.
  explicit peer_clients(const network_context& net);
  ~peer_clients();
  peer_clients(const peer_clients&) = delete;
  peer_clients& operator=(const peer_clients&) = delete;

  /// Sends `cmd` to the node at `endpoint`; `done` gets the reply or an
  /// error (timeout, peer_down when that node dies meanwhile). `server_key`
  /// is that node's CURVE public key (from its registry record), needed when
  /// this node uses CURVE; the registry's node is known by its own key. Any
  /// thread.
  void call(const std::string& endpoint, const command& cmd, std::chrono::milliseconds timeout,
            reply_callback done, std::string server_key = {});

  /// Network thread: closes every client.
  void close();

private:
  zmq::client* client_for(const std::string& endpoint, const std::string& server_key,
                          error& failure);

  network_context net_;
  // Network thread only.
  std::map<std::string, std::unique_ptr<zmq::client>> clients_;
};

} // namespace dxhub::runtime::detail
