#pragma once

// The ZeroMQ side of a node: its command endpoint (other nodes call its
// services there), its clients to other nodes and to the registry, and the
// event relay. One io_loop thread owns every socket; actors hand it work
// and get answers back as messages.

#include "dxhub/runtime/detail/large_requests.hpp"
#include "dxhub/runtime/detail/node_keys.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/transports/zmq/server.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>

namespace dxhub::zmq {
class io_loop;
class client;
class publisher;
class subscriber;
} // namespace dxhub::zmq

namespace dxhub::runtime::detail {

struct node_parts;

/// Gets the reply of a remote call; runs on the network thread.
using reply_callback = std::function<void(expected<reply>)>;

/// Where the frames of a channel published on another node go; every
/// function runs on the network thread.
struct remote_frames {
  /// Decides, from the publisher's registry record, whether this watch takes
  /// the channel's frames over ZeroMQ (false: it is served another way, e.g.
  /// shared memory on the same host; the watch then stays idle).
  std::function<bool(const registry_record&)> accept;
  /// Gets each frame (its header and payload, valid during the call).
  std::function<void(const frame_header&, std::span<const std::byte>)> on_frame;
};

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
  bool has_registry() const noexcept { return !registry_.empty(); }
  /// True when this node relays events between nodes (it hosts the registry).
  bool relays_events() const noexcept { return relay_ != nullptr; }

  /// Sends `cmd` to the node at `endpoint`; `done` gets the reply or an
  /// error (timeout, peer_down when that node dies meanwhile).
  /// `server_key` is that node's CURVE public key (from its registry
  /// record), needed when this node uses CURVE.
  void call(const std::string& endpoint, const command& cmd, std::chrono::milliseconds timeout,
            reply_callback done, std::string server_key = {});
  /// Calls command `name` of the registry with JSON arguments.
  void call_registry(const std::string& name, std::string json_args,
                     std::chrono::milliseconds timeout, reply_callback done);

  /// Hands events of this node to the other nodes, oldest first.
  void forward_events(std::vector<event> batch);
  /// Receives the other nodes' events under `prefix`.
  void watch_events(const std::string& prefix);

  /// Where this node publishes frames to other hosts.
  const std::string& frames_endpoint() const noexcept { return frames_endpoint_; }

  /// Sends a frame of `channel` to the nodes watching it (a copy; nothing
  /// when nobody watches). Any thread.
  void publish_frame(const std::string& channel, const schema_id& schema, const frame_header& h,
                     std::span<const std::byte> payload);

  /// Looks `channel` up in the registry until it is found (the publisher may
  /// come later) and, if `sink.accept` agrees, receives its frames. Any
  /// thread; returns a handle for `unwatch_channel`.
  uint64_t watch_channel(std::string channel, remote_frames sink);
  void unwatch_channel(uint64_t id);

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
  void on_relay_command(const command& cmd, zmq::responder answer);
  void on_remote_event(const event& e);
  zmq::client* client_for(const std::string& endpoint, const std::string& server_key,
                          error& failure);
  void connect_events();
  void dispatch(expected<command> cmd, zmq::responder answer);
  void resolve_channel(uint64_t id);
  void on_channel_record(uint64_t id, expected<registry_record> rec);

  struct channel_watch {
    std::string channel;
    remote_frames sink;
    std::unique_ptr<zmq::subscriber> frames;
    std::chrono::milliseconds retry; // doubles while the channel is not found
  };

  node_parts& node_;
  command_handler serve_;
  std::string name_;
  std::string registry_;
  std::string endpoint_;
  std::unique_ptr<zmq::io_loop> loop_;
  // Set once by stop(): work posted to the loop afterwards opens no socket.
  std::atomic<bool> closed_{false};
  // Network thread only from here on.
  std::unique_ptr<zmq::server> server_;
  std::unique_ptr<zmq::publisher> relay_;
  std::unique_ptr<zmq::subscriber> events_;
  bool events_connecting_ = false;
  std::set<std::string> prefixes_;
  std::map<std::string, std::unique_ptr<zmq::client>> clients_;
  std::map<uint64_t, channel_watch> watches_;
  std::atomic<uint64_t> next_watch_{1};
  std::string frames_endpoint_;
  // CURVE: this node's keys, the peers it lets in, the registry's key.
  node_keys keys_;
  // Any thread may publish; it lives until the network is destroyed.
  std::unique_ptr<zmq::publisher> frames_;
  // Last: its thread, which posts to the loop, stops first.
  large_requests large_{8};
};

} // namespace dxhub::runtime::detail
