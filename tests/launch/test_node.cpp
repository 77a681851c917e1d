// A stand-in for dxhub-node in launcher tests: it heartbeats like a node and
// misbehaves on request, and it leaves a shared-memory segment behind like a
// publisher that crashed would.
//
//   TEST_NODE_MODE  run (default) | crash:MS (exit 3 after MS) |
//                   hang:MS (stop heartbeating after MS, keep running) |
//                   exit:MS (exit 0 after MS) | stubborn (ignore SIGTERM)
//   TEST_NODE_TIMES misbehave only in the first N starts (DXHUB_RESTART_COUNT < N)
//
// It exits 0 on SIGTERM (unless stubborn).

#include "dxhub/launch/heartbeat.hpp"

#include <sys/mman.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t terminate_requested = 0;

void on_term(int) {
  terminate_requested = 1;
}

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

void leave_segment(const std::string& node) {
  auto prefix = env_or("DXHUB_SHM_PREFIX", "");
  if (prefix.empty())
    return;
  auto name = "/" + prefix + node + ".test";
  int fd = ::shm_open(name.c_str(), O_CREAT | O_RDWR, 0600);
  if (fd >= 0) {
    [[maybe_unused]] auto r = ::ftruncate(fd, 4096);
    ::close(fd);
  }
}

} // namespace

int main(int argc, char** argv) {
  std::string node = "?";
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--node") == 0)
      node = argv[i + 1];
  auto mode = env_or("TEST_NODE_MODE", "run");
  auto times = std::atol(env_or("TEST_NODE_TIMES", "1000000").c_str());
  auto restart = std::atol(env_or("DXHUB_RESTART_COUNT", "0").c_str());
  if (restart >= times)
    mode = "run";
  auto colon = mode.find(':');
  auto what = mode.substr(0, colon);
  auto after = std::chrono::milliseconds{
      colon == std::string::npos ? 0 : std::atol(mode.substr(colon + 1).c_str())};

  std::signal(SIGTERM, what == "stubborn" ? SIG_IGN : on_term);
  leave_segment(node);
  auto beating = dxhub::launch::start_heartbeat_from_env(std::chrono::milliseconds{100});
  if (!beating) {
    std::fprintf(stderr, "test_node %s: %s\n", node.c_str(), beating.error().context.c_str());
    return 2;
  }
  auto heartbeat = std::move(beating.value());
  auto t0 = std::chrono::steady_clock::now();
  while (terminate_requested == 0) {
    // The node's main loop checks for SIGTERM and its scripted failure time.
    std::this_thread::sleep_for(std::chrono::milliseconds{10}); // simulated work
    if (std::chrono::steady_clock::now() - t0 < after)
      continue;
    if (what == "crash")
      std::_Exit(3);
    if (what == "exit")
      return 0;
    if (what == "hang")
      heartbeat.reset(); // alive, but silent: a hung process
  }
  return 0;
}
