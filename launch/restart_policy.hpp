#pragma once

// The restart rules shared by the supervisor actor (actors/) and the launcher
// (runtime/): which exits are restarted, how many restarts are tolerated in a
// time window before giving up, and how long to wait before each restart.
// Pure logic on time points handed in by the caller, so that a supervisor on
// CAF's virtual test clock and a launcher on the steady clock share it.

#include "dxhub/schemas/expected.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <string_view>

namespace dxhub::launch {

/// Which exits of a child lead to a restart (OTP's restart types).
enum class restart_kind : uint8_t {
  permanent, ///< Always restarted, whatever the exit.
  transient, ///< Restarted only after an abnormal exit (crash, kill, error).
  temporary, ///< Never restarted.
};

/// "permanent", "transient" or "temporary".
std::string_view to_string(restart_kind kind) noexcept;

/// Parses the names produced by `to_string`.
expected<restart_kind> parse_restart_kind(std::string_view text);

/// True when a child of `kind` that exited (abnormally or not) is restarted.
bool should_restart(restart_kind kind, bool abnormal_exit) noexcept;

/// Restart intensity and backoff: at most `max_restarts` restarts within
/// `within`, waiting `backoff_base * 2^n` (capped at `backoff_max`) before
/// the n-th consecutive restart.
struct restart_limits {
  uint32_t max_restarts = 3;
  std::chrono::milliseconds within{5000};
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_max{5000};
};

/// Counts restarts in a sliding window and computes the backoff before the
/// next one.
class restart_intensity {
public:
  using clock = std::chrono::steady_clock;

  restart_intensity() = default;
  explicit restart_intensity(restart_limits limits) : limits_(limits) {}

  const restart_limits& limits() const noexcept { return limits_; }

  /// Records a failure at `now`. True when one more restart is within the
  /// limit; false when the limit is exceeded (the caller escalates).
  bool record_failure(clock::time_point now);

  /// Restarts counted in the window ending at the last recorded failure.
  uint32_t recent() const noexcept { return static_cast<uint32_t>(failures_.size()); }

  /// The wait before the restart that follows the last recorded failure:
  /// grows exponentially with the failures in the window.
  std::chrono::milliseconds backoff() const noexcept;

  /// Forgets all failures.
  void reset() noexcept { failures_.clear(); }

private:
  restart_limits limits_;
  std::deque<clock::time_point> failures_;
};

} // namespace dxhub::launch
