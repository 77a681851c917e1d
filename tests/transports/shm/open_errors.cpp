#define CAF_SUITE shm.open_errors
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/detail/layout.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/segment_name.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

using namespace dxhub;
using namespace dxhub::shm;

namespace {

channel_options small() {
  channel_options o;
  o.chunk_size = 256;
  o.chunk_count = 4;
  o.max_subscribers = 4;
  return o;
}

// Writes `bytes` over the segment file of `channel` at `offset`.
void poke(const std::string& channel, off_t offset, const void* bytes, std::size_t n) {
  int fd = shm_open(segment_name(channel).c_str(), O_RDWR, 0);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(pwrite(fd, bytes, n, offset) == static_cast<ssize_t>(n));
  close(fd);
}

bool contains(const error& e, const std::string& text) {
  return e.context.find(text) != std::string::npos;
}

} // namespace

CAF_TEST(a missing channel is segment_not_found) {
  tests::scoped_prefix prefix;
  auto s = subscriber::attach("no/such", tests::test_schema(256).id());
  CAF_CHECK(s.error() == errc::segment_not_found);
  CAF_CHECK(inspect("no/such").error() == errc::segment_not_found);
}

CAF_TEST(a wrong schema is refused naming both schemas) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(256), small());
  CAF_REQUIRE(pub.has_value());
  auto other = frame_schema{"camera", 2, {field{"image", dtype::u16, shape{8, 8}}}};
  auto s = subscriber::attach("lab/cam", other.id());
  CAF_REQUIRE(!s.has_value());
  CAF_CHECK(s.error() == errc::schema_mismatch);
  CAF_MESSAGE(s.error().what());
  CAF_CHECK(contains(s.error(), "dxhub.test.pattern"));
  CAF_CHECK(contains(s.error(), "camera"));
}

CAF_TEST(a wrong layout version is refused naming both versions) {
  tests::scoped_prefix prefix;
  auto pub = publisher::open("lab/cam", tests::test_schema(256), small());
  CAF_REQUIRE(pub.has_value());
  uint32_t version = 99;
  poke("lab/cam", offsetof(shm::detail::segment_header, layout_version), &version, 4);
  auto s = subscriber::attach("lab/cam", tests::test_schema(256).id());
  CAF_REQUIRE(!s.has_value());
  CAF_CHECK(s.error() == errc::layout_mismatch);
  CAF_MESSAGE(s.error().what());
  CAF_CHECK(contains(s.error(), "99"));
  CAF_CHECK(contains(s.error(), "remove /dev/shm/" + shm::segment_name("lab/cam")));
  // Not ours to recycle either: a live or dead publisher gets the same answer.
  CAF_CHECK(publisher::open("lab/cam", tests::test_schema(256), small()).error()
            == errc::layout_mismatch);
}

CAF_TEST(a foreign file of the same name is refused and left alone) {
  tests::scoped_prefix prefix;
  int fd = shm_open(segment_name("lab/cam").c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  CAF_REQUIRE(fd >= 0);
  std::string junk(1 << 16, 'j');
  CAF_REQUIRE(write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
  close(fd);
  auto s = subscriber::attach("lab/cam", tests::test_schema(256).id());
  CAF_CHECK(s.error() == errc::foreign_segment);
  CAF_MESSAGE(s.error().what());
  auto p = publisher::open("lab/cam", tests::test_schema(256), small());
  CAF_CHECK(p.error() == errc::foreign_segment);
  CAF_CHECK(inspect("lab/cam").error() == errc::foreign_segment);
  CAF_CHECK_EQUAL(prefix.leftovers(), 1); // still there, untouched
}

CAF_TEST(an undersized segment is refused) {
  tests::scoped_prefix prefix;
  {
    auto pub = publisher::open("lab/cam", tests::test_schema(256), small());
    CAF_REQUIRE(pub.has_value());
  }
  // Cut the chunks off: the header claims more than the file holds.
  int fd = shm_open(segment_name("lab/cam").c_str(), O_RDWR, 0);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(ftruncate(fd, sizeof(shm::detail::segment_header) + 64) == 0);
  close(fd);
  auto s = subscriber::attach("lab/cam", tests::test_schema(256).id());
  CAF_CHECK(s.error() == errc::segment_too_small);
  CAF_MESSAGE(s.error().what());
  // A file shorter than a header, too.
  fd = shm_open(segment_name("lab/tiny").c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  CAF_REQUIRE(fd >= 0);
  CAF_REQUIRE(write(fd, "DXUB", 4) == 4);
  close(fd);
  CAF_CHECK(subscriber::attach("lab/tiny", tests::test_schema(256).id()).error()
            == errc::segment_too_small);
}

CAF_TEST(a second live publisher is refused) {
  tests::scoped_prefix prefix;
  auto a = publisher::open("lab/cam", tests::test_schema(256), small());
  CAF_REQUIRE(a.has_value());
  auto b = publisher::open("lab/cam", tests::test_schema(256), small());
  CAF_CHECK(b.error() == errc::already_exists);
  CAF_CHECK(contains(b.error(), std::to_string(getpid())));
}

CAF_TEST(a stale segment with other sizes is recycled by the next publisher) {
  tests::scoped_prefix prefix;
  { auto a = publisher::open("lab/cam", tests::test_schema(256), small()); }
  auto bigger = small();
  bigger.chunk_count = 8;
  auto b = publisher::open("lab/cam", tests::test_schema(128), bigger);
  CAF_REQUIRE(b.has_value());
  auto info = inspect("lab/cam");
  CAF_REQUIRE(info.has_value());
  CAF_CHECK(info.value().chunk_count == 8u);
}

CAF_TEST(a different publisher with live subscribers is a mismatch naming what differs) {
  tests::scoped_prefix prefix;
  std::optional<subscriber> sub;
  {
    auto a = publisher::open("lab/cam", tests::test_schema(256), small());
    CAF_REQUIRE(a.has_value());
    auto s = subscriber::attach("lab/cam", tests::test_schema(256).id());
    CAF_REQUIRE(s.has_value());
    sub.emplace(std::move(s).value());
  }
  auto bigger = small();
  bigger.chunk_count = 8;
  auto b = publisher::open("lab/cam", tests::test_schema(256), bigger);
  CAF_CHECK(b.error() == errc::layout_mismatch);
  CAF_MESSAGE(b.error().what());
  CAF_CHECK(contains(b.error(), "chunk count 4 (asked 8)"));
  auto c = publisher::open("lab/cam", tests::test_schema(128), small());
  CAF_CHECK(c.error() == errc::schema_mismatch);
}

CAF_TEST(segments are owner only by default and may be given to a group) {
  tests::scoped_prefix prefix;
  auto a = publisher::open("lab/private", tests::test_schema(256), small());
  CAF_REQUIRE(a.has_value());
  struct stat st {};
  CAF_REQUIRE(stat(("/dev/shm/" + segment_name("lab/private")).c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  auto shared = small();
  shared.mode = 0660;
  shared.group = getgid();
  auto b = publisher::open("lab/shared", tests::test_schema(256), shared);
  CAF_REQUIRE(b.has_value());
  CAF_REQUIRE(stat(("/dev/shm/" + segment_name("lab/shared")).c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 0777, 0660u);
  CAF_CHECK_EQUAL(st.st_gid, getgid());
  CAF_CHECK(inspect("lab/shared").value().mode == 0660u);
}

CAF_TEST(bad options and oversized schemas are refused) {
  tests::scoped_prefix prefix;
  auto o = small();
  o.chunk_count = 0;
  CAF_CHECK(publisher::open("lab/x", tests::test_schema(256), o).error() == errc::invalid_argument);
  CAF_CHECK(publisher::open("lab/x", tests::test_schema(4096), small()).error()
            == errc::frame_too_large);
  auto pub = publisher::open("lab/x", tests::test_schema(256), small());
  CAF_REQUIRE(pub.has_value());
  subscriber_options deep;
  deep.queue_depth = 1000;
  CAF_CHECK(subscriber::attach("lab/x", tests::test_schema(256).id(), deep).error()
            == errc::invalid_argument);
  CAF_CHECK_EQUAL(prefix.leftovers(), 1);
}
