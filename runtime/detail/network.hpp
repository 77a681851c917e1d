#pragma once

// The ZeroMQ side of a node: one io_loop thread owns every socket; its parts,
// each a unit of its own, share it. Here: the node's command endpoint (other
// nodes call its services there; large requests are decoded off the thread)
// and its CURVE keys. Its parts: the clients to other nodes (`peer_clients`),
// the registry client, the event relay and the frames between hosts. Actors
// hand work to the thread and get answers back as messages.

#include "dxhub/runtime/detail/event_relay.hpp"
#include "dxhub/runtime/detail/large_requests.hpp"
#include "dxhub/runtime/detail/node_keys.hpp"
#include "dxhub/runtime/detail/peer_clients.hpp"
#include "dxhub/runtime/detail/registry_client.hpp"
#include "dxhub/runtime/detail/remote_frames.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/transports/zmq/server.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dxhub::zmq {
class io_loop;
} // namespace dxhub::zmq

namespace dxhub::runtime::detail {

struct node_parts;

class network {
public:
  /// Binds the node's endpoint and connects to the registry (if any).
  /// `serve` answers the commands other nodes send to this node's services
  /// (on the network thread).
  using command_handler = std::function<void(command, zmq::responder)>;
  static expected<std::unique_ptr<network>> start(node_parts& n, command_handler serve);
  ~network();
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  /// This node's CURVE public key ("" without CURVE).
  std::string public_key() const { return keys_.public_key(); }

  /// Where this node answers (the resolved address).
  const std::string& endpoint() const noexcept { return endpoint_; }

  peer_clients& peers() noexcept { return *peers_; }
  registry_client& registry() noexcept { return *registry_; }
  event_relay& events() noexcept { return *events_; }
  remote_frames& frames() noexcept { return *frames_; }

  /// Network thread only: runs `fn` once the thread has let go of its
  /// sockets (`zmq::io_loop::hand_over`); for handing work to actors.
  void hand_over(std::function<void()> fn);

  /// Runs `fn` on the network thread after `delay` (never once stopped). Any
  /// thread. Returns the timer, for `cancel` (0 once stopped).
  uint64_t after(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Cancels a timer of `after` that has not run yet. Any thread.
  void cancel(uint64_t timer);

  /// Stops the thread and closes every socket.
  void stop();

private:
  network(node_parts& n, command_handler serve);
  expected<void> bind();
  void on_request(zmq::request req, zmq::responder answer);
  /// Serves a decoded command; `peer_key` is the CURVE key its connection was
  /// authenticated with ("" without CURVE), handed to the service in the command.
  void dispatch(expected<command> cmd, std::string peer_key, zmq::responder answer);

  node_parts& node_;
  command_handler serve_;
  std::string endpoint_;
  std::unique_ptr<zmq::io_loop> loop_;
  // Set once by stop(): work posted to the loop afterwards opens no socket.
  std::atomic<bool> closed_{false};
  // CURVE: this node's keys, the peers it lets in, the registry's key.
  node_keys keys_;
  // Made once the keys are loaded; they live until the network is destroyed
  // (any thread may publish a frame), their sockets until it stops.
  std::unique_ptr<peer_clients> peers_;
  std::unique_ptr<registry_client> registry_;
  std::unique_ptr<event_relay> events_;
  std::unique_ptr<remote_frames> frames_;
  // Network thread only.
  std::unique_ptr<zmq::server> server_;
  // Last: its thread, which posts to the loop, stops first.
  large_requests large_{8};
};

} // namespace dxhub::runtime::detail
