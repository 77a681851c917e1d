#pragma once

// Frames between hosts: this node publishes the frames of its channels on a
// ZeroMQ socket next to its endpoint (only while another node subscribes),
// and takes the frames of channels published on other hosts, found through
// the registry. The message is zmq::frame_message's.

#include "dxhub/runtime/detail/network_context.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

namespace dxhub::zmq {
class publisher;
class subscriber;
} // namespace dxhub::zmq

namespace dxhub::runtime::detail {

class registry_client;

/// Where the frames of a channel published on another node go; every
/// function runs on the network thread.
struct remote_frame_sink {
  /// Decides, from the publisher's registry record, whether this watch takes
  /// the channel's frames over ZeroMQ (false: it is served another way, e.g.
  /// shared memory on the same host; the watch then stays idle).
  std::function<bool(const registry_record&)> accept;
  /// Gets each frame (its header and payload, valid during the call).
  std::function<void(const frame_header&, std::span<const std::byte>)> on_frame;
};

class remote_frames {
public:
  remote_frames(const network_context& net, registry_client& registry);
  ~remote_frames();
  remote_frames(const remote_frames&) = delete;
  remote_frames& operator=(const remote_frames&) = delete;

  /// Network thread: binds the frames socket next to `node_endpoint`.
  expected<void> bind(const std::string& node_endpoint);

  /// Where this node publishes frames to other hosts.
  const std::string& endpoint() const noexcept { return endpoint_; }

  /// Sends a frame of `channel` to the nodes watching it (a copy; nothing
  /// when nobody watches). Any thread.
  void publish(const std::string& channel, const schema_id& schema, const frame_header& h,
               std::span<const std::byte> payload);

  /// How many channels nodes of other hosts watch here, live (null before
  /// `bind`): what a writer checks on every frame before `publish`.
  std::shared_ptr<const std::atomic<int>> watched() const;

  /// Looks `channel` up in the registry until it is found (the publisher may
  /// come later) and, if `sink.accept` agrees, receives its frames. Any
  /// thread; returns a handle for `unwatch`.
  uint64_t watch(std::string channel, remote_frame_sink sink);
  void unwatch(uint64_t id);

  /// Network thread: closes the watches (the publishing socket stays until
  /// this is destroyed: any thread may still publish).
  void close();

private:
  struct channel_watch {
    std::string channel;
    remote_frame_sink sink;
    std::unique_ptr<zmq::subscriber> frames;
    std::chrono::milliseconds retry; // doubles while the channel is not found
  };

  void resolve(uint64_t id);
  void on_record(uint64_t id, expected<registry_record> rec);

  network_context net_;
  registry_client& registry_;
  std::string endpoint_;
  std::unique_ptr<zmq::publisher> frames_;
  std::atomic<uint64_t> next_watch_{1};
  // Network thread only.
  std::map<uint64_t, channel_watch> watches_;
};

} // namespace dxhub::runtime::detail
