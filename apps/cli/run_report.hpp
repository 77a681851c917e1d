#pragma once

// What `dxhub run` shows about a running deployment: it follows the audit
// log (the logger's JSON lines: camera and analysis stats, crashes,
// supervisor restarts, every command with its latency) and turns it into a
// status line and a final summary. Reading the log, not the network, means
// the numbers are exactly what the audit trail holds.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace dxhub::cli {

class run_report {
public:
  explicit run_report(std::string log_path) : path_(std::move(log_path)) {}

  /// Reads the lines appended since the last call.
  void follow();

  /// Counts a node restart done by the launcher.
  void count_node_restart() { ++node_restarts_; }

  /// Counts a node that ended abnormally without being asked to (a kill -9,
  /// an abort, a missed heartbeat): the launcher sees every one, also those
  /// that leave no line in the audit log.
  void count_node_crash(const std::string& node) { ++node_crashes_[node]; }

  /// "frames 369 (30.0/s)  drops 0  restarts 1  commands 24 (p50 0.2 ms, p99 0.9 ms)".
  std::string status() const;

  /// Everything the summary shows, as JSON.
  nlohmann::json summary() const;

  const std::string& path() const noexcept { return path_; }

private:
  void take(const nlohmann::json& record);

  struct session_frames {
    uint64_t session = 0;
    uint64_t frames = 0;
  };

  std::string path_;
  std::ifstream in_;
  /// The inode read from: when the logger rotates, the path gets a new one.
  uint64_t inode_ = 0;
  std::string partial_;
  uint64_t lines_ = 0;
  uint64_t bad_lines_ = 0;
  /// The session `session` of camera `service`, added when first seen.
  session_frames& session_of(const std::string& service, uint64_t session);

  // Camera frames per publisher session, in order: before and after a
  // restart. A session is known from the camera's first event of it (its
  // "ready" state), even when it was killed before any stats event.
  std::map<std::string, std::vector<session_frames>> cameras_;
  double fps_ = 0;
  uint64_t failed_publishes_ = 0;
  std::map<std::string, uint64_t> dropped_;
  std::map<std::string, uint64_t> bad_frames_;
  std::map<std::string, uint64_t> node_crashes_;
  /// Actors that failed inside a running node (their supervisor's "exit"
  /// events with a reason other than "normal").
  uint64_t actor_crashes_ = 0;
  uint64_t actor_restarts_ = 0;
  uint64_t node_restarts_ = 0;
  uint64_t commands_ = 0;
  uint64_t failed_commands_ = 0;
  std::vector<int64_t> latencies_ns_;
};

} // namespace dxhub::cli
