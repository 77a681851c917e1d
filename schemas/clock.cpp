#include "dxhub/schemas/clock.hpp"

#include <cstdio>
#include <ctime>

namespace dxhub {

namespace {

int64_t read_clock(clockid_t id) noexcept {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

} // namespace

int64_t monotonic_ns() noexcept {
  return read_clock(CLOCK_MONOTONIC);
}

int64_t wall_ns() noexcept {
  return read_clock(CLOCK_REALTIME);
}

std::string iso8601(int64_t wall_time_ns) {
  auto seconds = static_cast<time_t>(wall_time_ns / 1'000'000'000);
  auto nanos = static_cast<long>(wall_time_ns % 1'000'000'000);
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --seconds;
  }
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, nanos);
  return text;
}

} // namespace dxhub
