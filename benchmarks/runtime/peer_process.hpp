#pragma once

// The other process of a measurement: this very program re-executed as
// `dxhub-bench-runtime peer ROLE ARGS...`, pinned to its own core. It dies
// with its parent (PR_SET_PDEATHSIG); its stdin is a pipe whose closing tells
// it to leave, and its stdout carries "READY ..." / "ERROR ..." lines.

#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
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
  peer_process(pid_t pid, int to_peer, int from_peer) noexcept
    : pid_(pid), to_peer_(to_peer), from_peer_(from_peer) {}

  pid_t pid_ = -1;
  int to_peer_ = -1;
  int from_peer_ = -1;
  std::string buffer_;
};

/// In a peer: true once the parent closed our stdin (or died); waits up to `timeout`.
bool parent_says_stop(std::chrono::milliseconds timeout);

} // namespace dxhub::bench::runtime
