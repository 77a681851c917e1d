#pragma once

#include <cstdint>
#include <string>

namespace dxhub {

/// CLOCK_MONOTONIC in ns: the clock of latencies and deadlines on one host.
int64_t monotonic_ns() noexcept;

/// CLOCK_REALTIME in ns since the Unix epoch: the clock of records.
int64_t wall_ns() noexcept;

/// "2026-11-23T06:35:12.123456789Z" for a wall-clock time in ns.
std::string iso8601(int64_t wall_time_ns);

} // namespace dxhub
