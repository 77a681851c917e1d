#define CAF_SUITE schemas.metadata
#include "dxhub/schemas/metadata.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <string>

using namespace dxhub;

CAF_TEST(set get and replace) {
  metadata m;
  CAF_CHECK(m.empty());
  CAF_CHECK(m.set("exposure_ms", "12.5").has_value());
  CAF_CHECK(m.set("gain", "3").has_value());
  CAF_CHECK_EQUAL(m.size(), 2u);
  CAF_CHECK(*m.get("exposure_ms") == "12.5");
  CAF_CHECK(m.set("exposure_ms", "20").has_value());
  CAF_CHECK(*m.get("exposure_ms") == "20");
  CAF_CHECK_EQUAL(m.size(), 2u);
  CAF_CHECK(!m.get("missing"));
  CAF_CHECK(m.erase("gain"));
  CAF_CHECK(!m.erase("gain"));
  CAF_CHECK_EQUAL(m.size(), 1u);
}

CAF_TEST(bad keys and values are refused) {
  metadata m;
  CAF_CHECK(m.set("", "x").error() == errc::invalid_argument);
  CAF_CHECK(m.set(std::string(64, 'k'), "x").error() == errc::invalid_argument);
  CAF_CHECK(m.set("k", std::string_view{"a\0b", 3}).error() == errc::invalid_argument);
  CAF_CHECK(m.set("k", std::string(256, 'v')).error() == errc::invalid_argument);
}

CAF_TEST(the fixed buffer reports when full and keeps what it had) {
  metadata m;
  int stored = 0;
  while (m.set("key" + std::to_string(stored), std::string(20, 'v')).has_value())
    ++stored;
  CAF_CHECK(stored > 5);
  CAF_CHECK_EQUAL(m.size(), static_cast<std::size_t>(stored));
  CAF_CHECK(m.set("one_more", std::string(20, 'v')).error() == errc::frame_too_large);
  CAF_CHECK(m.bytes_used() <= metadata::capacity);
}

CAF_TEST(assign_raw validates untrusted bytes) {
  metadata m;
  CAF_CHECK(m.assign_raw(std::string_view{"a\0b\0", 4}).has_value());
  CAF_CHECK(*m.get("a") == "b");
  CAF_CHECK(m.assign_raw(std::string_view{"a\0b", 3}).error() == errc::bad_encoding);
  CAF_CHECK(m.assign_raw(std::string(300, 'x')).error() == errc::bad_encoding);
  CAF_CHECK(*m.get("a") == "b"); // unchanged after a failed assignment
}
