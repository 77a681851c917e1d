#include "dxhub/benchmarks/runtime/bench_channel.hpp"

#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <atomic>
#include <cstdio>
#include <thread>
#include <unistd.h>

namespace dxhub::bench::runtime {

using namespace std::chrono_literals;

frame_schema schema_for(std::size_t bytes) {
  return raw_bytes_schema(bytes, "dxhub.bench.frame");
}

dxhub::runtime::node_options subscriber_node() {
  dxhub::runtime::node_options opts;
  opts.name = "bench-subscriber-" + std::to_string(getpid());
  opts.networked = false;
  opts.shared_memory = true;
  return opts;
}

std::string unique_channel(const char* what) {
  static std::atomic<int> n{0};
  return std::string{"bench/runtime/"} + what + "p" + std::to_string(getpid()) + "n"
         + std::to_string(n++);
}

channel_cleanup::~channel_cleanup() {
  (void)shm::remove_channel(channel);
}

error peer_failure(peer_process& peer, errc code, std::string what) {
  for (int i = 0; i < 4; ++i) {
    auto line = peer.read_line(200ms);
    if (!line)
      break;
    if (line->rfind("ERROR", 0) == 0)
      return error{code, what + "; publisher: " + *line};
  }
  return error{code, std::move(what)};
}

bool wait_for_reader(const std::function<bool()>& attached) {
  auto deadline = now_ns() + 10'000'000'000LL;
  while (!attached())
    if (now_ns() > deadline)
      return false;
    else
      std::this_thread::sleep_for(1ms); // a bounded poll: attach has no event to wait on
  return true;
}

bool say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  return false;
}

} // namespace dxhub::bench::runtime
