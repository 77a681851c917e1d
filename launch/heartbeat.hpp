#pragma once

// The node side of the launcher's liveness check: a small thread that writes
// one byte to an inherited descriptor every period. The launcher kills and
// restarts a node whose heartbeat stops (a hung process is treated like a
// crashed one).

#include "dxhub/schemas/expected.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace dxhub::launch {

/// The environment variable naming the heartbeat descriptor of a node.
inline constexpr const char* heartbeat_fd_env = "DXHUB_HEARTBEAT_FD";

/// How often a node beats by default; the launcher's timeout is a multiple.
inline constexpr std::chrono::milliseconds default_heartbeat_period{250};

/// Beats on a descriptor from its own thread until destroyed.
class heartbeat {
public:
  heartbeat(int fd, std::chrono::milliseconds period);
  ~heartbeat();

  heartbeat(const heartbeat&) = delete;
  heartbeat& operator=(const heartbeat&) = delete;

  /// Number of beats written so far.
  uint64_t beats() const;

private:
  void loop();

  int fd_;
  std::chrono::milliseconds period_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  uint64_t beats_ = 0;
  std::thread thread_;
};

/// Starts beating on the descriptor named by `DXHUB_HEARTBEAT_FD`. Returns
/// nullptr when the variable is not set (a node started by hand), an error
/// when it does not name an open descriptor. Keep the result alive while the
/// node runs.
expected<std::unique_ptr<heartbeat>>
start_heartbeat_from_env(std::chrono::milliseconds period = default_heartbeat_period);

} // namespace dxhub::launch
