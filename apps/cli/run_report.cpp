#include "run_report.hpp"

#include "dxhub/schemas/json_member.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

namespace dxhub::cli {

namespace {

uint64_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

std::string service_of(const std::string& topic) {
  auto slash = topic.rfind('/');
  return slash == std::string::npos ? topic : topic.substr(0, slash);
}

double percentile_ms(std::vector<int64_t> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]) / 1e6;
}

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

} // namespace

void run_report::follow() {
  if (!in_.is_open()) {
    inode_ = inode_of(path_);
    in_.open(path_);
    if (!in_.is_open())
      return; // the logger has not created it yet
  }
  std::string line;
  while (std::getline(in_, line)) {
    if (in_.eof()) { // the rest of a line still being written
      partial_ += line;
      break;
    }
    line = partial_ + line;
    partial_.clear();
    ++lines_;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++bad_lines_;
      continue;
    }
    try {
      take(j);
    } catch (const std::exception&) {
      ++bad_lines_; // a field of the wrong type or range: counted, not fatal
    }
  }
  in_.clear();
  // Rotated: the rest of the old file was read above; go on with the new one.
  if (auto now = inode_of(path_); now != 0 && now != inode_) {
    in_.close();
    partial_.clear();
    follow();
  }
}

void run_report::take(const nlohmann::json& r) {
  auto kind = r.value("kind", "");
  auto target = r.value("target", "");
  auto action = r.value("action", "");
  const auto& args = r.contains("args") ? r["args"] : nlohmann::json();
  if (kind == "command") {
    auto latency = member_or(r, "latency_ns", int64_t{0});
    bool failed = !r.value("error", "").empty();
    ++commands_;
    if (failed)
      ++failed_commands_;
    latencies_ns_.push_back(latency);
    return;
  }
  if (!args.is_object())
    return;
  bool supervisor = target.rfind("dxhub/supervisor/", 0) == 0;
  // A camera's events carry its session: its state ("ready" first, "crash"
  // last) and its stats.
  if ((action == "stats" || action == "state" || action == "crash") && args.contains("session")
      && args["session"].is_number_unsigned()) {
    // Read before anything is counted: a bad field leaves no half-taken line.
    auto frames = member_or(args, "frames", uint64_t{0});
    auto& s = session_of(service_of(target), args["session"].get<uint64_t>());
    s.frames = std::max(s.frames, frames);
    if (action == "stats") {
      fps_ = member_or(args, "fps", 0.0);
      failed_publishes_ = member_or(args, "failed_publishes", failed_publishes_);
    }
  } else if (action == "stats" && args.contains("dropped")) {
    dropped_[service_of(target)] = member_or(args, "dropped", uint64_t{0});
    bad_frames_[service_of(target)] = member_or(args, "bad_frames", uint64_t{0});
  } else if (action == "exit" && supervisor && args.value("reason", "normal") != "normal") {
    // A crash inside a living node; a crash that takes its node down is
    // counted by the launcher (count_node_crash).
    ++actor_crashes_;
  } else if (action == "restart" && supervisor) {
    ++actor_restarts_;
  }
}

run_report::session_frames& run_report::session_of(const std::string& service, uint64_t session) {
  auto& sessions = cameras_[service];
  for (auto& s : sessions)
    if (s.session == session)
      return s;
  return sessions.emplace_back(session_frames{session, 0});
}

std::string run_report::status() const {
  auto s = summary();
  return "frames " + std::to_string(s["frames"].get<uint64_t>()) + " (" + fixed(fps_, 1)
         + "/s)  drops " + std::to_string(s["drops"].get<uint64_t>()) + "  restarts "
         + std::to_string(s["restarts"].get<uint64_t>()) + "  commands " + std::to_string(commands_)
         + " (p50 " + fixed(percentile_ms(latencies_ns_, 50), 2) + " ms, p99 "
         + fixed(percentile_ms(latencies_ns_, 99), 2) + " ms)";
}

nlohmann::json run_report::summary() const {
  uint64_t frames = 0;
  uint64_t session_count = 0;
  nlohmann::json cameras = nlohmann::json::object();
  for (const auto& [name, sessions] : cameras_) {
    nlohmann::json per = nlohmann::json::array();
    for (const auto& s : sessions) {
      ++session_count;
      frames += s.frames;
      per.push_back({{"session", s.session}, {"frames", s.frames}});
    }
    cameras[name] = per;
  }
  uint64_t drops = failed_publishes_;
  for (const auto& [name, d] : dropped_)
    drops += d;
  uint64_t bad = 0;
  for (const auto& [name, b] : bad_frames_)
    bad += b;
  uint64_t node_crashes = 0;
  for (const auto& [name, n] : node_crashes_)
    node_crashes += n;
  return {{"frames", frames},
          {"cameras", cameras},
          {"sessions", session_count},
          {"drops", drops},
          {"bad_frames", bad},
          {"crashes", node_crashes + actor_crashes_},
          {"node_crashes", node_crashes},
          {"node_crashes_by_node", node_crashes_},
          {"actor_crashes", actor_crashes_},
          {"restarts", actor_restarts_ + node_restarts_},
          {"actor_restarts", actor_restarts_},
          {"node_restarts", node_restarts_},
          {"commands", commands_},
          {"failed_commands", failed_commands_},
          {"latency_ms",
           {{"p50", percentile_ms(latencies_ns_, 50)},
            {"p90", percentile_ms(latencies_ns_, 90)},
            {"p99", percentile_ms(latencies_ns_, 99)},
            {"max", percentile_ms(latencies_ns_, 100)}}},
          {"audit_log", path_},
          {"audit_lines", lines_},
          {"bad_audit_lines", bad_lines_}};
}

} // namespace dxhub::cli
