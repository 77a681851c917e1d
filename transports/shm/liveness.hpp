#pragma once

#include <cstdint>

namespace dxhub::shm {

/// What a participant of a channel knows about another one. Only `dead` is
/// ever acted on (a row freed, a channel taken over): it is proven by the
/// kernel, which drops the lock each participant holds on its slot of the
/// segment file when the process ends. `unknown` (the lock could not be
/// queried) keeps everything the peer holds.
enum class liveness : uint8_t { alive, dead, unknown };

/// "alive", "dead" or "unknown".
constexpr const char* to_string(liveness l) noexcept {
  switch (l) {
    case liveness::alive:
      return "alive";
    case liveness::dead:
      return "dead";
    default:
      return "unknown";
  }
}

} // namespace dxhub::shm
