// A dxhub node for multi-process runtime tests. Roles:
//   runtime_peer publish CHANNEL COUNT INTERVAL_MS
//     waits for a subscriber, publishes COUNT camera frames (content derived
//     from the sequence number), prints "LOAN <seq> <chunk>" for each, then
//     prints "DONE" and lingers until killed.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/tests/runtime/frames.hpp"
#include "dxhub/transports/shm/inspect.hpp"

#include <caf/actor_system.hpp>

#include <cstdio>
#include <string>
#include <thread>

using namespace dxhub;
using namespace std::chrono_literals;

namespace {

int publish_frames(const std::string& channel, int count, int interval_ms) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node_options opts;
  opts.name = "peer-" + std::to_string(getpid());
  opts.networked = false;
  runtime::node node{sys, opts};
  auto pub = runtime::publish(node, channel, test::camera_schema());
  if (!pub) {
    std::printf("ERROR %s\n", pub.error().what().c_str());
    return 1;
  }
  std::printf("SESSION %llu\n", static_cast<unsigned long long>(pub.value().session()));
  std::fflush(stdout);
  for (;;) { // a subscriber must be there, or the frames go nowhere
    auto info = shm::inspect(channel);
    if (info && !info.value().subscribers.empty())
      break;
    std::this_thread::sleep_for(5ms);
  }
  for (int i = 0; i < count; ++i) {
    auto loan = pub.value().loan();
    if (!loan) {
      std::printf("ERROR %s\n", loan.error().what().c_str());
      return 1;
    }
    test::fill(loan.value(), static_cast<uint16_t>(i));
    auto chunk = loan.value().chunk_index();
    auto sent = pub.value().publish(std::move(loan.value()));
    if (!sent) {
      std::printf("ERROR %s\n", sent.error().what().c_str());
      return 1;
    }
    std::printf("LOAN %llu %u\n", static_cast<unsigned long long>(sent.value().sequence),
                chunk.value_or(~0u));
    std::fflush(stdout);
    if (interval_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{interval_ms});
  }
  std::printf("DONE\n");
  std::fflush(stdout);
  for (;;)
    std::this_thread::sleep_for(1s);
}

} // namespace

int main(int argc, char** argv) {
  std::string role = argc > 1 ? argv[1] : "";
  if (role == "publish" && argc == 5)
    return publish_frames(argv[2], std::stoi(argv[3]), std::stoi(argv[4]));
  std::fprintf(stderr, "usage: runtime_peer publish CHANNEL COUNT INTERVAL_MS\n");
  return 2;
}
