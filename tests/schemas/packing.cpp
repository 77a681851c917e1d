#define CAF_SUITE schemas.packing
#include "dxhub/schemas/packing.hpp"

#include "dxhub/schemas/command.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <string>

using namespace dxhub;

namespace {

struct exposure {
  static constexpr const char* schema_name = "test.exposure";
  static constexpr uint32_t schema_version = 1;
  double ms = 0;
  std::string mode;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("ms", x.ms), named("mode", x.mode));
  }
  friend bool operator==(const exposure&, const exposure&) = default;
};

struct gain {
  static constexpr const char* schema_name = "test.gain";
  static constexpr uint32_t schema_version = 1;
  double db = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("db", x.db));
  }
};

} // namespace

CAF_TEST(a packed value unpacks into the same value) {
  exposure e{12.5, std::string{"a\0b", 3}};
  auto packed = pack(e);
  CAF_CHECK(packed.schema == schema_of<exposure>());
  auto back = unpack<exposure>(packed);
  CAF_REQUIRE(back.has_value());
  CAF_CHECK(back.value() == e);
}

CAF_TEST(unpacking into another type names both schemas) {
  auto back = unpack<gain>(pack(exposure{1.0, "auto"}));
  CAF_REQUIRE(!back.has_value());
  CAF_CHECK(back.error() == errc::schema_mismatch);
  CAF_MESSAGE(back.error().what());
  CAF_CHECK(back.error().context.find("test.gain") != std::string::npos);
  CAF_CHECK(back.error().context.find("test.exposure") != std::string::npos);
}

CAF_TEST(damaged packed bytes are an error value) {
  auto packed = pack(exposure{1.0, "auto"});
  packed.bytes.pop_back();
  auto back = unpack<exposure>(packed);
  CAF_REQUIRE(!back.has_value());
  CAF_CHECK(back.error() == errc::bad_encoding);
}

CAF_TEST(a packed value of a type this program knows reads as JSON) {
  auto json = packed_as_json(pack(exposure{3.0, "manual"}));
  CAF_REQUIRE(json.has_value());
  CAF_CHECK_EQUAL(json.value().dump(), R"({"mode":"manual","ms":3.0})");
}

CAF_TEST(a packed value of an unknown type is an error naming it) {
  packed_value foreign{schema_id{"lab.unheard_of", 3, 0x42}, "xyz"};
  auto json = packed_as_json(foreign);
  CAF_REQUIRE(!json.has_value());
  CAF_CHECK(json.error() == errc::schema_mismatch);
  CAF_CHECK(json.error().context.find("lab.unheard_of") != std::string::npos);
}

CAF_TEST(the JSON form of packed arguments is base64 and refuses anything else) {
  command cmd;
  cmd.packed_args = pack(exposure{2.0, "auto"});
  auto text = encode_json(cmd);
  CAF_CHECK(text.find(R"("base64":")") != std::string::npos);
  auto back = decode_json<command>(text);
  CAF_REQUIRE(back.has_value());
  CAF_CHECK(back.value().packed_args == cmd.packed_args);
  auto doc = nlohmann::json::parse(text);
  doc["packed_args"]["base64"] = "not*base64";
  auto bad = decode_json<command>(doc.dump());
  CAF_REQUIRE(!bad.has_value());
  CAF_CHECK(bad.error() == errc::bad_encoding);
  CAF_CHECK(bad.error().context.find("base64") != std::string::npos);
}
