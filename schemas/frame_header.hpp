#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/metadata.hpp"

#include <cstdint>
#include <type_traits>

namespace dxhub {

/// The per-frame header: where a frame stands in its stream and when it was
/// taken. Trivially copyable: in shared memory it sits in front of the payload.
struct frame_header {
  static constexpr const char* schema_name = "dxhub.frame_header";
  static constexpr uint32_t schema_version = 1;

  /// Position in the publisher session's stream, starting at 0.
  uint64_t sequence = 0;
  /// Identifies one run of a publisher; a restarted publisher gets a new one.
  uint64_t session = 0;
  /// CLOCK_MONOTONIC at publish, in ns (comparable between processes of a host).
  int64_t monotonic_ns = 0;
  /// CLOCK_REALTIME at publish, in ns since the Unix epoch.
  int64_t wall_ns = 0;
  /// Simulation or experiment time in seconds, as the instrument defines it.
  double experiment_time = 0;
  /// Small user key/value pairs.
  metadata meta;

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("sequence", x.sequence), named("session", x.session),
             named("monotonic_ns", x.monotonic_ns), named("wall_ns", x.wall_ns),
             named("experiment_time", x.experiment_time), named("meta", x.meta));
  }

  friend bool operator==(const frame_header&, const frame_header&) = default;
};

static_assert(std::is_trivially_copyable_v<frame_header>);

} // namespace dxhub
