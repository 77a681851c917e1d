#define CAF_SUITE schemas.schema_id
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/schema_of.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <string>

using namespace dxhub;

namespace {

// Three versions of one message type: as written, with a field renamed, and
// with a field's type changed.
struct stage_move {
  static constexpr const char* schema_name = "lab.stage_move";
  static constexpr uint32_t schema_version = 1;
  double x_mm = 0;
  double y_mm = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& s, F&& f) {
    return f(named("x_mm", s.x_mm), named("y_mm", s.y_mm));
  }
};

struct stage_move_renamed {
  static constexpr const char* schema_name = "lab.stage_move";
  static constexpr uint32_t schema_version = 1;
  double x_mm = 0;
  double y_um = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& s, F&& f) {
    return f(named("x_mm", s.x_mm), named("y_um", s.y_um));
  }
};

struct stage_move_retyped {
  static constexpr const char* schema_name = "lab.stage_move";
  static constexpr uint32_t schema_version = 1;
  double x_mm = 0;
  float y_mm = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& s, F&& f) {
    return f(named("x_mm", s.x_mm), named("y_mm", s.y_mm));
  }
};

} // namespace

CAF_TEST(the identity of a type is stable) {
  CAF_CHECK(schema_of<stage_move>() == schema_of<stage_move>());
  CAF_CHECK_EQUAL(schema_of<stage_move>().name, "lab.stage_move");
  CAF_CHECK_EQUAL(schema_of<stage_move>().version, 1u);
  CAF_CHECK_EQUAL(canonical_type<stage_move>(), "lab.stage_move{x_mm:f64;y_mm:f64;}");
}

CAF_TEST(renaming a field changes the identity) {
  CAF_CHECK(schema_of<stage_move>().hash != schema_of<stage_move_renamed>().hash);
  CAF_CHECK(!(schema_of<stage_move>() == schema_of<stage_move_renamed>()));
}

CAF_TEST(changing a field type changes the identity) {
  CAF_CHECK(schema_of<stage_move>().hash != schema_of<stage_move_retyped>().hash);
}

CAF_TEST(the comparison error names both schemas) {
  auto result = require_same_schema(schema_of<stage_move>(), schema_of<stage_move_retyped>(),
                                    "channel 'lab/stage'", "subscriber");
  CAF_REQUIRE(!result.has_value());
  const auto& err = result.error();
  CAF_CHECK(err == errc::schema_mismatch);
  CAF_CHECK(err.context.find("channel 'lab/stage' has " + to_string(schema_of<stage_move>()))
            != std::string::npos);
  CAF_CHECK(err.context.find("subscriber has " + to_string(schema_of<stage_move_retyped>()))
            != std::string::npos);
  CAF_MESSAGE(err.what());
  CAF_CHECK(require_same_schema(schema_of<stage_move>(), schema_of<stage_move>()).has_value());
}

CAF_TEST(frame schemas hash names dtypes and shapes) {
  frame_schema base{"cam", 1, {field{"image", dtype::u16, shape{4, 4}}}};
  auto renamed = base;
  renamed.fields[0].name = "img";
  auto retyped = base;
  retyped.fields[0].type = dtype::u8;
  auto reshaped = base;
  reshaped.fields[0].dims = shape{2, 8};
  auto bumped = base;
  bumped.version = 2;
  CAF_CHECK(base.id() == base.id());
  for (const auto* other : {&renamed, &retyped, &reshaped, &bumped})
    CAF_CHECK(!(base.id() == other->id()));
}
