#pragma once

#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <caf/actor_addr.hpp>

#include <atomic>
#include <memory>
#include <span>
#include <string>

namespace dxhub::runtime::detail {

class network;

/// What a channel's writer reaches of its node: the nodes of other hosts
/// that watch the channel, and the directory that unregisters it when it
/// closes. Both by weak handles: a publisher kept in an actor's state may
/// outlive its node, and then reaches nothing. No lock is taken per frame,
/// and a frame that no other host watches costs one cache line: the count
/// of watched channels (a camera at 30 Hz finds every other line of the
/// node cold, and each costs it microseconds).
class publisher_links {
public:
  publisher_links() = default;
  publisher_links(caf::actor_addr directory, const std::shared_ptr<network>& net);

  /// Hands a published frame to the nodes of other hosts that watch it.
  void send_to_other_hosts(const std::string& channel, const frame_schema& schema,
                           const frame_header& h, std::span<const std::byte> payload) const;

  /// Tells the directory that `channel` closed.
  void closed(const std::string& channel) const;

private:
  caf::actor_addr directory_;
  std::weak_ptr<network> net_;
  std::shared_ptr<const std::atomic<int>> watched_; // null: no network
};

} // namespace dxhub::runtime::detail
