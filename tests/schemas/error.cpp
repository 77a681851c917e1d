#define CAF_SUITE schemas.error
#include "dxhub/schemas/error.hpp"

#include "dxhub/schemas/expected.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <cerrno>
#include <set>
#include <string>
#include <system_error>

using namespace dxhub;

CAF_TEST(every code has a unique name and a message) {
  std::set<std::string_view> names;
  for (uint8_t i = 0; i < errc_count; ++i) {
    auto code = static_cast<errc>(i);
    CAF_CHECK(names.insert(name(code)).second);
    CAF_CHECK(!message(code).empty());
    errc parsed = errc::none;
    CAF_CHECK(parse_errc(name(code), parsed));
    CAF_CHECK(parsed == code);
  }
  errc ignored;
  CAF_CHECK(!parse_errc("no_such_error", ignored));
}

CAF_TEST(errc is a std error code) {
  std::error_code ec = errc::unknown_channel;
  CAF_CHECK_EQUAL(ec.category().name(), std::string{"dxhub"});
  CAF_CHECK_EQUAL(ec.message(), "unknown channel");
  CAF_CHECK(ec == errc::unknown_channel);
  CAF_CHECK(!std::error_code{errc::none});
}

CAF_TEST(an error value says what and where) {
  error e{errc::schema_mismatch, "channel has a, caller has b"};
  CAF_CHECK_EQUAL(e.what(), "schema mismatch: channel has a, caller has b");
  CAF_CHECK(static_cast<bool>(e));
  CAF_CHECK(!static_cast<bool>(error{}));
  errno = EACCES;
  auto sys = last_system_error("shm_open /dxhub.x");
  CAF_CHECK(sys == errc::permission_denied);
  CAF_CHECK(sys.context.find("shm_open /dxhub.x") != std::string::npos);
}

namespace {

expected<int> half(int x) {
  if (x % 2 != 0)
    return error{errc::invalid_argument, std::to_string(x) + " is odd"};
  return x / 2;
}

expected<int> quarter(int x) {
  DXHUB_TRY(h, half(x));
  return half(h);
}

} // namespace

CAF_TEST(expected propagates errors) {
  CAF_CHECK(quarter(8).value() == 2);
  auto odd = quarter(6);
  CAF_REQUIRE(!odd.has_value());
  CAF_CHECK_EQUAL(odd.error().context, "3 is odd");
}
