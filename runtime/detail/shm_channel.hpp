#pragma once

// Channels over the shared-memory transport: the publisher writes frames in
// place into the channel's segment; every subscriber, in this process or in
// another one on this host, reads the same chunk through its own reader
// thread, which hands pinned frames to its actor within the actor's window.

#include "dxhub/runtime/detail/channel_hub.hpp"
#include "dxhub/runtime/detail/delivery.hpp"
#include "dxhub/runtime/detail/publisher_links.hpp"
#include "dxhub/runtime/detail/work_claims.hpp"
#include "dxhub/runtime/node_timing.hpp"
#include "dxhub/runtime/publisher_options.hpp"

#include <caf/actor.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dxhub::runtime::detail {

/// Opens the channel's segment and returns its writer.
expected<std::shared_ptr<channel_writer>>
open_shm_writer(publisher_links links, const std::string& channel, const frame_schema& schema,
                const publisher_options& options, uint64_t session);

/// One subscription over shared memory: a thread that attaches to the
/// channel's segment (waiting for it to appear), takes frames while the
/// actor's window has room, and reports the publisher's comings and goings.
class shm_reader {
public:
  /// `claims` is set for a `work` subscription: the reader then hands its
  /// actor only the frames it claims for the group.
  shm_reader(caf::actor target, std::string channel, subscription_options options,
             node_timing timing, std::shared_ptr<delivery> out,
             std::shared_ptr<subscription_state> state,
             std::unique_ptr<work_claims> claims = nullptr);
  ~shm_reader();
  shm_reader(const shm_reader&) = delete;
  shm_reader& operator=(const shm_reader&) = delete;

  /// Asks the thread to end; `join` waits for it.
  void stop();
  void join();
  bool finished() const noexcept { return finished_.load(); }

private:
  struct impl;
  void run();
  /// For a `work` member: waits for room in the actor's window until the
  /// frame is claimed, by this member (true) or another one (false).
  bool claim_when_room(uint64_t session, uint64_t sequence);
  std::unique_ptr<impl> impl_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

/// The reader threads of one node: stopped and joined when the node stops.
class shm_readers {
public:
  void add(std::shared_ptr<shm_reader> r);
  void stop_all();

private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<shm_reader>> readers_;
};

} // namespace dxhub::runtime::detail
