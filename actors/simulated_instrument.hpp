#pragma once

// What every simulated instrument shares: while running it publishes frames
// on its channel at its rate (ticks of a stopped run are ignored, a slow
// machine does not make it burst), it serves start/stop/get_state/set_rate
// and `crash` like a real device, and it emits its state changes, a periodic
// "stats" event and a planned crash as events. An instrument says only what
// makes it what it is (an `instrument_model`): its frames, its rate, its
// state and its commands beyond these.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace dxhub::runtime {
class command_table;
class loaned_frame;
} // namespace dxhub::runtime

namespace dxhub::actors {

/// The parameters every simulated instrument takes.
struct instrument_config {
  /// Label of the actor; the service name unless `service` is set.
  std::string name;
  std::string service{};
  /// Where frames go (default "<name>/raw").
  std::string channel{};
  /// Starts publishing at once (else waits for `start`).
  bool autostart = true;
  /// > 0: crash on purpose this long after the start (demonstrations).
  double crash_after_s = 0;
  /// "throw" (the actor fails; its supervisor restarts it) or "abort" (the
  /// whole node process dies; the launcher restarts it).
  std::string crash_mode = "throw";
  /// With `crash_after_s`: a file created before the crash; when it exists,
  /// the instrument does not crash again (one crash per demo, even across processes).
  std::string crash_marker{};
  /// How often a "stats" event reports frames and rate (0 = never).
  std::chrono::milliseconds stats_period{0};
  /// With `stats_period`: the stats event also carries each publish's
  /// duration of the period (`publish_us`, at most `max_stats_samples`), so a
  /// benchmark can pool them over many periods instead of taking per-period
  /// medians of few frames.
  bool stats_samples = false;
};

/// The most publish durations one stats event carries.
inline constexpr std::size_t max_stats_samples = 4096;

/// `set_rate` arguments and result.
struct frame_rate {
  static constexpr const char* schema_name = "dxhub.frame_rate";
  static constexpr uint32_t schema_version = 1;
  double hz = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("hz", x.hz));
  }
};

/// Where a run of an instrument stands, for its state and its events.
struct instrument_run {
  bool running = false;
  /// Frames published since the actor started.
  uint64_t frames = 0;
  uint64_t failed_publishes = 0;
  /// The channel's publisher session (changes when the instrument restarts).
  uint64_t session = 0;
};

/// Reads the parameters of `instrument_config` from deployment parameters;
/// those missing keep the values of `defaults`. `kind` ("camera") names the
/// instrument in errors.
expected<instrument_config> instrument_config_from(const runtime::actor_args& args,
                                                   instrument_config defaults,
                                                   const std::string& kind);

/// What makes one kind of simulated instrument what it is; the actor of
/// `spawn_simulated_instrument` does the rest.
class instrument_model {
public:
  /// `actor_name` is the actor's CAF name ("simulated_camera"), `kind` what
  /// the instrument is called in messages ("camera").
  instrument_model(const char* actor_name, std::string kind)
    : actor_name_(actor_name), kind_(std::move(kind)) {}
  virtual ~instrument_model() = default;

  const char* actor_name() const noexcept { return actor_name_; }
  const std::string& kind() const noexcept { return kind_; }

  virtual const instrument_config& config() const = 0;
  /// The schema of its frames.
  virtual frame_schema schema() const = 0;
  /// The time from one frame to the next at the current rate.
  virtual std::chrono::nanoseconds period() const = 0;
  /// `set_rate`: an error naming the range, or the rate taken.
  virtual expected<void> set_rate(double hz) = 0;
  /// Writes frame number `counter`, taken `seconds` after the actor started
  /// (its header's experiment time included).
  virtual void fill(runtime::loaned_frame& frame, uint64_t counter, double seconds) = 0;
  /// The answer to `get_state`, also the data of "state" and "crash" events.
  virtual nlohmann::json state(const instrument_run& run) const = 0;
  /// Adds the commands of this kind of instrument; `changed(why)` emits a
  /// "state" event after a command changed the state.
  virtual void add_commands(runtime::command_table& commands,
                            std::function<void(const std::string& why)> changed);

private:
  const char* actor_name_;
  std::string kind_;
};

/// Spawns the actor of a simulated instrument.
caf::actor spawn_simulated_instrument(caf::actor_system& sys,
                                      std::shared_ptr<instrument_model> model);

} // namespace dxhub::actors
