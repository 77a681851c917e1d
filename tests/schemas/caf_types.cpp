#define CAF_SUITE schemas.caf_types
#include "dxhub/schemas/caf_types.hpp"

#include "dxhub/tests/schemas/samples.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

using namespace dxhub;

namespace {

struct schema_config : caf::actor_system_config {
  schema_config() { add_schema_types(*this); }
};

struct fixture {
  schema_config cfg;
  caf::actor_system sys{cfg};

  // Serializes a CAF message holding `sample` with CAF's own serializer (the
  // path a message takes between CAF nodes) and reads it back.
  template <class T>
  void check_message_round_trip(const T& sample) {
    auto msg = caf::make_message(sample);
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    CAF_REQUIRE(!sink(msg));
    caf::message copy;
    caf::binary_deserializer source{sys, buf};
    CAF_REQUIRE(!source(copy));
    CAF_REQUIRE(copy.match_elements<T>());
    CAF_CHECK(copy.get_as<T>(0) == sample);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(caf_types_tests, fixture)

CAF_TEST(every schema type round trips through a CAF message) {
  check_message_round_trip(samples::a_schema_id());
  check_message_round_trip(samples::a_field());
  check_message_round_trip(samples::a_frame_schema());
  check_message_round_trip(samples::a_frame_header());
  check_message_round_trip(samples::a_command());
  check_message_round_trip(samples::a_reply());
  check_message_round_trip(samples::an_event());
  check_message_round_trip(samples::an_audit_record());
  check_message_round_trip(samples::a_registry_record());
}

CAF_TEST(dxhub errors convert to caf errors and back) {
  caf::error converted = errc::unknown_channel;
  CAF_CHECK_EQUAL(converted.category(), error_category_atom);
  auto with_context = to_caf_error({errc::schema_mismatch, "channel has a, caller has b"});
  auto back = from_caf_error(with_context);
  CAF_CHECK(back == errc::schema_mismatch);
  CAF_CHECK_EQUAL(back.context, "channel has a, caller has b");
  CAF_CHECK_EQUAL(sys.render(with_context), "dxhub: schema mismatch: channel has a, caller has b");
  auto timeout = from_caf_error(caf::make_error(caf::sec::request_timeout));
  CAF_CHECK(timeout == errc::timeout);
}

CAF_TEST_FIXTURE_SCOPE_END()
