#define CAF_SUITE shm.process_identity
#include "dxhub/transports/shm/process_identity.hpp"

#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/transports/shm/shm_test_support.hpp"
#include "dxhub/transports/shm/publisher.hpp"

#include <unistd.h>

using namespace dxhub;
using namespace dxhub::shm;

namespace {

// Restores /proc as the source of start times when a test ends.
struct injected_source {
  explicit injected_source(start_time_source s) { set_start_time_source(std::move(s)); }
  ~injected_source() { set_start_time_source({}); }
};

} // namespace

CAF_TEST(the current process is alive under its own identity) {
  auto self = process_identity::current();
  CAF_CHECK_EQUAL(self.pid, getpid());
  CAF_CHECK(self.start_time > 0);
  CAF_CHECK(is_alive(self));
  CAF_CHECK(read_process_identity(getpid()).value() == self);
  CAF_CHECK(process_identity::unpack(self.pack()) == self);
}

CAF_TEST(a recycled pid with another start time is not the old process) {
  auto self = process_identity::current();
  auto recycled = process_identity{self.pid, self.start_time + 1};
  CAF_CHECK(!is_alive(recycled));
  CAF_CHECK(!is_alive_packed(recycled.pack()));
  CAF_CHECK(!is_alive_packed(0));
}

CAF_TEST(injected identities decide liveness by pid and start time) {
  injected_source source{[](pid_t pid) -> std::optional<uint64_t> {
    if (pid == 4242)
      return 1000; // pid 4242 now belongs to a process started at tick 1000
    return std::nullopt;
  }};
  CAF_CHECK(is_alive(process_identity{4242, 1000}));
  CAF_CHECK(!is_alive(process_identity{4242, 999}));  // the old owner of the pid
  CAF_CHECK(!is_alive(process_identity{4243, 1000})); // no such process
  CAF_CHECK(!is_alive(process_identity{0, 0}));
}

CAF_TEST(a live publisher is never taken for dead whatever proc says) {
  // Issue 18: /proc is no proof. A publisher whose pid looks recycled (or
  // cannot be read) still holds its lock on the segment: it stays the owner.
  tests::scoped_prefix prefix;
  auto schema = tests::test_schema(64);
  channel_options o;
  o.chunk_size = 64;
  o.chunk_count = 4;
  auto first = publisher::open("pid/recycled", schema, o);
  CAF_REQUIRE(first.has_value());
  CAF_CHECK(publisher::open("pid/recycled", schema, o).error() == errc::already_exists);
  auto self = process_identity::current();
  auto first_session = first.value().session_id();
  {
    // Our pid now reports another start time: /proc would call the publisher dead.
    injected_source source{[self](pid_t pid) -> std::optional<uint64_t> {
      return pid == self.pid ? std::optional<uint64_t>{self.start_time + 7} : std::nullopt;
    }};
    CAF_CHECK(publisher::open("pid/recycled", schema, o).error() == errc::already_exists);
  }
  { auto gone = std::move(first).value(); } // the publisher goes: its lock with it
  auto second = publisher::open("pid/recycled", schema, o);
  CAF_REQUIRE(second.has_value());
  CAF_CHECK(second.value().session_id() != first_session);
}
