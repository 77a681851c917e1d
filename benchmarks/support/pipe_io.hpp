#pragma once

// Whole reads and writes on a pipe: how a benchmark's forked child hands its
// samples back to the measuring process.

#include <cerrno>
#include <cstddef>
#include <unistd.h>

namespace dxhub::bench {

/// Writes all `n` bytes (retrying short writes and EINTR); false on error.
inline bool write_all(int fd, const void* data, std::size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    auto w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

/// Reads exactly `n` bytes; false on error or end of file before that.
inline bool read_all(int fd, void* data, std::size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    auto r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

} // namespace dxhub::bench
