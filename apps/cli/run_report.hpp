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
  // Camera frames per publisher session, in order: before and after a restart.
  std::map<std::string, std::vector<session_frames>> cameras_;
  double fps_ = 0;
  uint64_t failed_publishes_ = 0;
  std::map<std::string, uint64_t> dropped_;
  std::map<std::string, uint64_t> bad_frames_;
  uint64_t crashes_ = 0;
  uint64_t actor_restarts_ = 0;
  uint64_t node_restarts_ = 0;
  uint64_t commands_ = 0;
  uint64_t failed_commands_ = 0;
  std::vector<int64_t> latencies_ns_;
};

} // namespace dxhub::cli
