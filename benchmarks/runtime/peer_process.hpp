#pragma once

// The other process of a measurement: this very program re-executed as
// `dxhub-bench-runtime peer ROLE ARGS...`, pinned to its own core. Started by
// launch::child_process, it dies with its parent; its stdin is a pipe whose
// closing tells it to leave, and its stdout carries "READY ..." / "ERROR ..."
// lines.

#include "dxhub/launch/child_process.hpp"
#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dxhub::bench::runtime {

class peer_process {
public:
  /// Starts `/proc/self/exe peer <args...>`.
  static expected<peer_process> start(const std::vector<std::string>& args);

  peer_process(peer_process&& other) noexcept;
  peer_process& operator=(peer_process&&) = delete;
  peer_process(const peer_process&) = delete;
  peer_process& operator=(const peer_process&) = delete;
  ~peer_process();

  /// One line of the peer's stdout (without '\n'), or nullopt on timeout or EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  /// Closes the peer's stdin (its cue to leave), waits a moment, then kills
  /// what is left and reaps it.
  void finish();

private:
  peer_process(launch::child_process process, int to_peer, int from_peer) noexcept
    : process_(std::move(process)), to_peer_(to_peer), from_peer_(from_peer) {}

  launch::child_process process_;
  int to_peer_ = -1;
  int from_peer_ = -1;
  std::string buffer_;
};

/// In a peer: true once the parent closed our stdin (or died); waits up to `timeout`.
bool parent_says_stop(std::chrono::milliseconds timeout);

} // namespace dxhub::bench::runtime
