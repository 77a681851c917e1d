#pragma once

// Shared by the shm suites and their helper program: an isolated segment
// prefix that is cleaned up even when a test fails, and the frame pattern
// whose checksum exposes any torn or reused chunk.

#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/transports/shm/inspect.hpp"

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <span>
#include <string>
#include <unistd.h>

namespace dxhub::shm::tests {

/// Sets DXHUB_SHM_PREFIX to a prefix unique to this process (children
/// inherit it) and removes every segment under it on destruction.
class scoped_prefix {
public:
  scoped_prefix()
    : prefix_("dxt." + std::to_string(getpid()) + "." + std::to_string(counter()++) + ".") {
    setenv("DXHUB_SHM_PREFIX", prefix_.c_str(), 1);
    remove_all();
    // A failed CAF_REQUIRE aborts without unwinding: clean up from SIGABRT too.
    std::snprintf(active_prefix(), 64, "%s", prefix_.c_str());
    std::signal(SIGABRT, on_abort);
  }
  ~scoped_prefix() {
    remove_all();
    active_prefix()[0] = '\0';
  }
  scoped_prefix(const scoped_prefix&) = delete;
  scoped_prefix& operator=(const scoped_prefix&) = delete;

  const std::string& prefix() const noexcept { return prefix_; }

  /// Segments under the prefix still in /dev/shm.
  int leftovers() const {
    int n = 0;
    for_each([&](const char*) { ++n; });
    return n;
  }

  void remove_all() const {
    for_each([](const char* name) { ::unlink((std::string{"/dev/shm/"} + name).c_str()); });
  }

private:
  static char* active_prefix() {
    static char buffer[64] = {};
    return buffer;
  }
  static void on_abort(int) {
    if (active_prefix()[0] != '\0') {
      remove_prefixed(active_prefix());
    }
    std::signal(SIGABRT, SIG_DFL);
    std::raise(SIGABRT);
  }
  static void remove_prefixed(const char* prefix) {
    if (auto* dir = opendir("/dev/shm")) {
      while (auto* e = readdir(dir))
        if (std::strncmp(e->d_name, prefix, std::strlen(prefix)) == 0)
          ::unlink((std::string{"/dev/shm/"} + e->d_name).c_str());
      closedir(dir);
    }
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  template <class F>
  void for_each(F f) const {
    if (auto* dir = opendir("/dev/shm")) {
      while (auto* e = readdir(dir))
        if (std::strncmp(e->d_name, prefix_.c_str(), prefix_.size()) == 0)
          f(e->d_name);
      closedir(dir);
    }
  }
  std::string prefix_;
};

/// The schema of test frames: `bytes` raw bytes.
inline frame_schema test_schema(std::size_t bytes) {
  return raw_bytes_schema(bytes, "dxhub.test.pattern");
}

inline uint64_t pattern_checksum(std::span<const std::byte> payload) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto words = (payload.size() - 8) / 8;
  for (std::size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, payload.data() + i * 8, 8);
    h = (h ^ w) * 0x100000001b3ULL;
  }
  return h;
}

/// Fills a payload (at least 32 bytes, a multiple of 8) for frame `seq` of `session`.
/// `fill` = false writes only sequence, session and checksum words (and
/// leaves the body as it was: then the checksum still covers it).
inline void write_pattern(std::span<std::byte> payload, uint64_t seq, uint64_t session,
                          bool fill = true) noexcept {
  std::memcpy(payload.data(), &seq, 8);
  std::memcpy(payload.data() + 8, &session, 8);
  if (fill) {
    auto words = (payload.size() - 8) / 8;
    for (std::size_t i = 2; i < words; ++i) {
      uint64_t w = seq * 0x9e3779b97f4a7c15ULL + i;
      std::memcpy(payload.data() + i * 8, &w, 8);
    }
  }
  auto sum = pattern_checksum(payload);
  std::memcpy(payload.data() + payload.size() - 8, &sum, 8);
}

/// True when the payload is intact and names `seq` of `session`.
inline bool check_pattern(std::span<const std::byte> payload, uint64_t seq,
                          uint64_t session) noexcept {
  if (payload.size() < 32)
    return false;
  uint64_t s, sess, sum;
  std::memcpy(&s, payload.data(), 8);
  std::memcpy(&sess, payload.data() + 8, 8);
  std::memcpy(&sum, payload.data() + payload.size() - 8, 8);
  return s == seq && sess == session && sum == pattern_checksum(payload);
}

/// True when at least `readers` live subscribers of `channel` have been
/// delivered frames (frames flow to each). Rows are counted, not pids: a
/// reader in a pid namespace of its own has another pid there.
inline bool delivered_to(const std::string& channel, std::size_t readers) {
  auto info = inspect(channel);
  if (!info)
    return false;
  std::size_t fed = 0;
  for (const auto& s : info.value().subscribers)
    fed += s.state == liveness::alive && s.delivered > 0 ? 1 : 0;
  return fed >= readers;
}

} // namespace dxhub::shm::tests
