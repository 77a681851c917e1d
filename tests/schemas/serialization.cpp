#define CAF_SUITE schemas.serialization
#include "dxhub/schemas/serialization.hpp"

#include "dxhub/schemas/json.hpp"
#include "dxhub/tests/schemas/samples.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <string>

using namespace dxhub;

namespace {

// Every field of the sample differs from a default-constructed value, so a
// round trip that loses a field cannot compare equal by accident.
template <class T>
bool every_field_set(const T& sample) {
  T blank{};
  bool all = true;
  visit_fields(sample, [&](auto... have) {
    visit_fields(blank, [&](auto... want) {
      auto differs = [&](const auto& x, const auto& y) {
        if (x.value == y.value) {
          CAF_MESSAGE("field left at its default: " << x.name);
          all = false;
        }
      };
      (differs(have, want), ...);
    });
  });
  return all;
}

template <class T>
void check_round_trips(const T& sample) {
  CAF_CHECK(every_field_set(sample));
  auto binary = decode_binary<T>(encode_binary(sample));
  CAF_REQUIRE(binary.has_value());
  CAF_CHECK(binary.value() == sample);
  auto cereal_json = decode_cereal_json<T>(encode_cereal_json(sample));
  if (!cereal_json)
    CAF_MESSAGE(cereal_json.error().what());
  CAF_REQUIRE(cereal_json.has_value());
  CAF_CHECK(cereal_json.value() == sample);
  auto wire_json = decode_json<T>(encode_json(sample));
  if (!wire_json)
    CAF_MESSAGE(wire_json.error().what());
  CAF_REQUIRE(wire_json.has_value());
  CAF_CHECK(wire_json.value() == sample);
}

} // namespace

CAF_TEST(schema_id round trips) {
  check_round_trips(samples::a_schema_id());
}

CAF_TEST(field round trips) {
  check_round_trips(samples::a_field());
}

CAF_TEST(frame_schema round trips) {
  check_round_trips(samples::a_frame_schema());
}

CAF_TEST(frame_header round trips) {
  check_round_trips(samples::a_frame_header());
}

CAF_TEST(command round trips) {
  check_round_trips(samples::a_command());
}

CAF_TEST(reply round trips) {
  check_round_trips(samples::a_reply());
}

CAF_TEST(event round trips) {
  check_round_trips(samples::an_event());
}

CAF_TEST(audit_record round trips) {
  check_round_trips(samples::an_audit_record());
}

CAF_TEST(registry_record round trips) {
  check_round_trips(samples::a_registry_record());
}

CAF_TEST(the JSON form is plain JSON a foreign client can write) {
  auto cmd = decode_json<command>(
      R"({"id": 7, "service": "lab/cam0", "name": "get_state", "args": {"verbose": true}})");
  CAF_REQUIRE(cmd.has_value());
  CAF_CHECK(cmd.value().id == 7u);
  CAF_CHECK(cmd.value().service == "lab/cam0");
  CAF_CHECK(cmd.value().args.text == R"({"verbose":true})");
  auto text = encode_json(samples::a_reply());
  CAF_CHECK(text.find(R"("code":"service_error")") != std::string::npos);
  CAF_CHECK(text.find(R"("result":{"ms":10})") != std::string::npos);
}

CAF_TEST(truncated binary input is an error value) {
  auto bytes = encode_binary(samples::a_registry_record());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto decoded = decode_binary<registry_record>(std::string_view{bytes}.substr(0, n));
    CAF_REQUIRE(!decoded.has_value());
    CAF_CHECK(decoded.error() == errc::bad_encoding);
  }
}

CAF_TEST(trailing bytes are rejected) {
  auto bytes = encode_binary(samples::a_command()) + "x";
  auto decoded = decode_binary<command>(bytes);
  CAF_REQUIRE(!decoded.has_value());
  CAF_CHECK(decoded.error().context.find("trailing") != std::string::npos);
}

CAF_TEST(a huge length prefix does not allocate) {
  // A string length of 2^62 followed by nothing: must fail fast, not allocate.
  auto bytes = encode_binary(samples::a_command());
  std::string forged = bytes.substr(0, 1 + 8); // endianness tag + id
  uint64_t huge = uint64_t{1} << 62;
  forged.append(reinterpret_cast<const char*>(&huge), sizeof huge);
  auto decoded = decode_binary<command>(forged);
  CAF_REQUIRE(!decoded.has_value());
  CAF_CHECK(decoded.error().context.find("exceeds the input") != std::string::npos);
}

CAF_TEST(out of range enums are rejected) {
  auto bytes = encode_binary(samples::a_reply());
  // The code byte follows the endianness tag and the 8-byte id.
  bytes[1 + 8] = static_cast<char>(200);
  auto decoded = decode_binary<reply>(bytes);
  CAF_REQUIRE(!decoded.has_value());
  CAF_CHECK(decoded.error().context.find("invalid value 200") != std::string::npos);
  auto from_json = decode_json<reply>(R"({"id": 1, "code": "no_such_code"})");
  CAF_REQUIRE(!from_json.has_value());
  CAF_CHECK(from_json.error().context.find("field 'code'") != std::string::npos);
}

CAF_TEST(bad JSON is an error value) {
  for (auto text : {"", "{", "[1,2", R"({"id": "seven"})", "42", R"({"id": -1})"}) {
    auto decoded = decode_json<command>(text);
    CAF_CHECK(!decoded.has_value());
    if (!decoded)
      CAF_CHECK(decoded.error() == errc::bad_encoding);
  }
  // Numbers where integers belong: refused, never cast (a float beyond the
  // integer's range is undefined behaviour to convert; fuzz_registry found it).
  auto refused = [](auto value, const char* text) {
    auto doc = parse_json(text);
    CAF_REQUIRE(doc.has_value());
    try {
      from_json(doc.value(), value);
    } catch (const std::exception&) {
      return true;
    }
    return false;
  };
  for (auto text : {R"({"name": "s", "version": 1e300, "hash": "0000000000000001"})",
                    R"({"name": "s", "version": 1.5, "hash": "0000000000000001"})",
                    R"({"name": "s", "version": -1, "hash": "0000000000000001"})"})
    CAF_CHECK(refused(schema_id{}, text));
  CAF_CHECK(!refused(schema_id{}, R"({"name": "s", "version": 3, "hash": "0000000000000001"})"));
  for (auto text : {"[1e300]", "[2.5, 3]", "[-4]", "7"})
    CAF_CHECK(refused(shape{}, text));
  CAF_CHECK(!refused(shape{}, "[2, 3]"));
  std::string deep(10000, '[');
  CAF_CHECK(!parse_json(deep).has_value());
}

// Each thread reuses one stream per direction (building one costs more than
// decoding a small message); these check that reuse leaks no state.

CAF_TEST(a decode after a failed one on the same thread succeeds) {
  auto bytes = encode_binary(samples::a_command());
  CAF_REQUIRE(!decode_binary<command>(std::string_view{bytes}.substr(0, 5)).has_value());
  auto decoded = decode_binary<command>(bytes);
  CAF_REQUIRE(decoded.has_value());
  CAF_CHECK(decoded.value() == samples::a_command());
}

CAF_TEST(a decode while the stream of the thread is lent uses a stream of its own) {
  auto outer_bytes = encode_binary(samples::a_reply());
  detail::byte_source outer{outer_bytes};
  detail::lent_stream<std::istream> lent{outer};
  // Nested: this decode may not take the stream lent to `outer`.
  auto inner = decode_binary<command>(encode_binary(samples::a_command()));
  CAF_REQUIRE(inner.has_value());
  CAF_CHECK(inner.value() == samples::a_command());
  CAF_CHECK(lent.get().rdbuf() == &outer);
  CAF_CHECK_EQUAL(outer.remaining(), outer_bytes.size());
}

CAF_TEST(large values round trip through the reused streams) {
  auto cmd = samples::a_command();
  cmd.packed_args.bytes.assign(1 << 20, 'q');
  for (int i = 0; i < 3; ++i) {
    auto decoded = decode_binary<command>(encode_binary(cmd));
    CAF_REQUIRE(decoded.has_value());
    CAF_CHECK(decoded.value() == cmd);
  }
}
