#define CAF_SUITE schemas.frame_schema
#include "dxhub/schemas/frame_schema.hpp"

#include "dxhub/tests/support/caf_test.hpp"

using namespace dxhub;

namespace {

frame_schema camera() {
  return {"cam",
          1,
          {field{"image", dtype::u16, shape{480, 640}}, field{"stamp", dtype::f64, shape{}},
           field{"roi", dtype::i32, shape{4}}}};
}

} // namespace

CAF_TEST(fields are laid out on 64 byte boundaries) {
  auto s = camera();
  CAF_REQUIRE(s.validate().has_value());
  auto image = s.locate("image", dtype::u16);
  auto stamp = s.locate("stamp", dtype::f64);
  auto roi = s.locate("roi", dtype::i32);
  CAF_REQUIRE(image && stamp && roi);
  CAF_CHECK(image.value().offset == 0u);
  CAF_CHECK(image.value().bytes == 480u * 640u * 2u);
  CAF_CHECK_EQUAL(stamp.value().offset, 614400u); // already aligned
  CAF_CHECK(stamp.value().bytes == 8u);
  CAF_CHECK(roi.value().offset == 614464u);
  CAF_CHECK(s.payload_size().value() == 614464u + 16u);
}

CAF_TEST(reading a field with the wrong dtype names both) {
  auto wrong = camera().locate("image", dtype::f32);
  CAF_REQUIRE(!wrong.has_value());
  CAF_CHECK(wrong.error() == errc::schema_mismatch);
  CAF_CHECK(wrong.error().context.find("u16") != std::string::npos);
  CAF_CHECK(wrong.error().context.find("f32") != std::string::npos);
  CAF_CHECK(camera().locate("nope").error() == errc::invalid_argument);
}

CAF_TEST(invalid schemas are refused with the reason) {
  auto dup = camera();
  dup.fields.push_back(dup.fields[0]);
  CAF_CHECK(dup.validate().error().context.find("appears twice") != std::string::npos);
  frame_schema empty{"e", 1, {}};
  CAF_CHECK(empty.validate().error() == errc::invalid_argument);
  frame_schema huge{"h", 1, {field{"x", dtype::f64, shape{1u << 20, 1u << 20, 1u << 20}}}};
  CAF_CHECK(huge.validate().error() == errc::frame_too_large);
  uint64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  CAF_CHECK(shape::from(nine).error() == errc::invalid_argument);
}
