#pragma once

// A motorised stage, simulated: `move_to {pos_mm, speed_mm_s?}` answers when
// the stage arrives (a deferred reply), `home` moves to 0 mm, `get_position`
// answers at once. Positions outside [min_mm, max_mm] are refused before
// anything moves; a new move while one runs is refused (`busy`).

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/fwd.hpp>

#include <cstdint>

namespace myexp {

/// Where to go; the speed may be left out.
struct move_target {
  static constexpr const char* schema_name = "myexp.move_target";
  static constexpr uint32_t schema_version = 1;
  double pos_mm = 0;
  double speed_mm_s = 0; // 0: the stage's own speed
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(dxhub::named("pos_mm", x.pos_mm), dxhub::defaulted("speed_mm_s", x.speed_mm_s));
  }
};

/// Where the stage is.
struct stage_position {
  static constexpr const char* schema_name = "myexp.stage_position";
  static constexpr uint32_t schema_version = 1;
  double pos_mm = 0;
  bool moving = false;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(dxhub::named("pos_mm", x.pos_mm), dxhub::named("moving", x.moving));
  }
};

/// The actor factory of type "stage" (parameters: speed_mm_s, min_mm,
/// max_mm, step_ms).
dxhub::expected<caf::actor> spawn_stage(caf::actor_system& sys,
                                        const dxhub::runtime::actor_args& args);

} // namespace myexp
