#define CAF_SUITE launch.heartbeat
#include "dxhub/launch/heartbeat.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <poll.h>
#include <string>
#include <unistd.h>

using namespace dxhub;
using namespace dxhub::launch;
using namespace std::chrono_literals;

namespace {

// Counts the beats arriving on `fd` until `n` arrived or 10 s passed.
int wait_beats(int fd, int n) {
  int got = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got < n && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[16];
    auto r = ::read(fd, buf, sizeof buf);
    if (r <= 0)
      break;
    got += static_cast<int>(r);
  }
  return got;
}

} // namespace

CAF_TEST(a heartbeat writes periodically until destroyed) {
  int ends[2];
  CAF_REQUIRE_EQUAL(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends), 0);
  {
    heartbeat beat{ends[1], 10ms};
    CAF_CHECK_GREATER_OR_EQUAL(wait_beats(ends[0], 3), 3);
  }
  // Destroyed: no more beats (drain what was in flight, then silence).
  char buf[64];
  while (::recv(ends[0], buf, sizeof buf, MSG_DONTWAIT) > 0) {
  }
  pollfd p{ends[0], POLLIN, 0};
  CAF_CHECK_EQUAL(::poll(&p, 1, 50), 0);
  ::close(ends[0]);
  ::close(ends[1]);
}

CAF_TEST(a heartbeat whose reader is gone neither blocks nor kills the node) {
  int ends[2];
  CAF_REQUIRE_EQUAL(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends), 0);
  ::close(ends[0]);
  { heartbeat beat{ends[1], 1ms}; }
  ::close(ends[1]);
  CAF_CHECK(true); // still alive: no SIGPIPE
}

CAF_TEST(the descriptor comes from the environment) {
  ::unsetenv(heartbeat_fd_env);
  auto none = start_heartbeat_from_env();
  CAF_REQUIRE(none);
  CAF_CHECK(none.value() == nullptr);
  ::setenv(heartbeat_fd_env, "seven", 1);
  CAF_CHECK(start_heartbeat_from_env().error() == errc::invalid_argument);
  ::setenv(heartbeat_fd_env, "999", 1);
  CAF_CHECK(start_heartbeat_from_env().error() == errc::invalid_argument);
  int ends[2];
  CAF_REQUIRE_EQUAL(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends), 0);
  ::setenv(heartbeat_fd_env, std::to_string(ends[1]).c_str(), 1);
  {
    auto beat = start_heartbeat_from_env(10ms);
    CAF_REQUIRE(beat);
    CAF_REQUIRE(beat.value() != nullptr);
    CAF_CHECK_GREATER_OR_EQUAL(wait_beats(ends[0], 2), 2);
  }
  ::unsetenv(heartbeat_fd_env);
  ::close(ends[0]);
  ::close(ends[1]);
}
