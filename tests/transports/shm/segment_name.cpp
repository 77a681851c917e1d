#define CAF_SUITE shm.segment_name
#include "dxhub/transports/shm/segment_name.hpp"

#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/publisher.hpp"

#include <algorithm>

using namespace dxhub;
using namespace dxhub::shm;

CAF_TEST(channel names map to segment names and back) {
  tests::scoped_prefix prefix;
  CAF_CHECK_EQUAL(segment_name("lab/cam0/raw"), prefix.prefix() + "lab.cam0.raw");
  CAF_CHECK_EQUAL(channel_of_segment(prefix.prefix() + "lab.cam0.raw"), "lab/cam0/raw");
  CAF_CHECK_EQUAL(channel_of_segment("other.lab"), "");
}

CAF_TEST(the default prefix is dxhub) {
  auto* saved = std::getenv("DXHUB_SHM_PREFIX");
  std::string keep = saved != nullptr ? saved : "";
  unsetenv("DXHUB_SHM_PREFIX");
  CAF_CHECK_EQUAL(segment_name("lab/x"), "dxhub.lab.x");
  if (saved != nullptr)
    setenv("DXHUB_SHM_PREFIX", keep.c_str(), 1);
}

CAF_TEST(channels are listed and removed) {
  tests::scoped_prefix prefix;
  channel_options o;
  o.chunk_size = 64;
  o.chunk_count = 2;
  {
    auto a = publisher::open("lab/a", tests::test_schema(64), o);
    auto b = publisher::open("lab/b/raw", tests::test_schema(64), o);
    CAF_REQUIRE(a.has_value() && b.has_value());
    auto channels = list_channels();
    CAF_CHECK(channels == (std::vector<std::string>{"lab/a", "lab/b/raw"}));
  }
  CAF_CHECK(remove_channel("lab/a").has_value());
  CAF_CHECK(remove_channel("lab/a").has_value()); // already gone: fine
  CAF_CHECK(list_channels() == (std::vector<std::string>{"lab/b/raw"}));
  CAF_CHECK(remove_channel("../etc/passwd").error() == errc::invalid_name);
}

CAF_TEST(invalid channel names are refused everywhere) {
  tests::scoped_prefix prefix;
  std::string too_long(300, 'x');
  for (std::string bad : {std::string{}, std::string{"a/../b"}, std::string{"a//b"},
                          std::string{"/abs"}, std::string{"a.b"}, too_long})
    CAF_CHECK(publisher::open(bad, tests::test_schema(64)).error() == errc::invalid_name);
  CAF_CHECK_EQUAL(prefix.leftovers(), 0);
}
