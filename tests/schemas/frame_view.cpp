#define CAF_SUITE schemas.frame_view
#include "dxhub/schemas/frame_view.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <vector>

using namespace dxhub;

CAF_TEST(a publisher writes typed fields that a reader sees) {
  frame_schema s{
      "adc", 1, {field{"samples", dtype::i16, shape{4, 8}}, field{"gain", dtype::f32, shape{4}}}};
  std::vector<std::byte> payload(s.payload_size().value());
  frame_header header;
  header.sequence = 9;
  mutable_frame_view out{&header, payload, &s};
  auto samples = out.field<int16_t>("samples");
  CAF_REQUIRE(samples.has_value());
  CAF_CHECK(samples.value().values.size() == 32u);
  CAF_CHECK(samples.value().dims == (shape{4, 8}));
  for (std::size_t i = 0; i < 32; ++i)
    samples.value().values[i] = static_cast<int16_t>(i * 3);
  out.field<float>("gain").value().values[2] = 1.5f;

  frame_view in{&header, payload, &s};
  CAF_CHECK_EQUAL(in.header().sequence, 9u);
  CAF_CHECK(in.field<int16_t>("samples").value().values[31] == 93);
  CAF_CHECK(in.field<float>("gain").value().values[2] == 1.5f);
  CAF_CHECK(in.field<double>("gain").error() == errc::schema_mismatch);
  CAF_CHECK(in.field_bytes("gain").value().size() == 16u);
}

CAF_TEST(a payload shorter than the schema is refused) {
  frame_schema s{"x", 1, {field{"data", dtype::u8, shape{100}}}};
  std::vector<std::byte> payload(50);
  frame_header header;
  frame_view in{&header, payload, &s};
  CAF_CHECK(in.field<uint8_t>("data").error() == errc::truncated_message);
}
