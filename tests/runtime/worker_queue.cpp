#define CAF_SUITE runtime.worker_queue
#include "dxhub/runtime/detail/worker_queue.hpp"

#include "dxhub/runtime/node_config.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace dxhub::runtime;

namespace {

/// Counts what it is sent; answers the count when asked with a string.
caf::behavior counter(caf::event_based_actor* self, std::atomic<int>* seen) {
  (void)self;
  return {
      [seen](int) { seen->fetch_add(1); },
      [seen](const std::string&) { return seen->load(); },
  };
}

} // namespace

CAF_TEST(the actor system of a node schedules with the worker pool) {
  node_config cfg;
  caf::actor_system sys{cfg};
  CAF_CHECK(dynamic_cast<detail::worker_pool*>(&sys.scheduler()) != nullptr);
  CAF_CHECK_EQUAL(sys.scheduler().num_workers(), 4u);
}

CAF_TEST(messages from threads outside the scheduler all arrive) {
  node_config cfg;
  caf::actor_system sys{cfg};
  constexpr int senders = 3;
  constexpr int per_sender = 20000;
  std::atomic<int> seen{0};
  std::vector<caf::actor> counters;
  counters.reserve(4);
  for (int i = 0; i < 4; ++i)
    counters.push_back(sys.spawn(counter, &seen));
  std::vector<std::thread> threads;
  threads.reserve(senders);
  for (int t = 0; t < senders; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_sender; ++i)
        caf::anon_send(counters[(t + i) % counters.size()], i);
    });
  for (auto& th : threads)
    th.join();
  // Each counter answers after what was sent to it before: ask them all.
  caf::scoped_actor self{sys};
  for (auto& c : counters)
    self->request(c, caf::infinite, std::string{"count"}).receive([](int) {}, [](caf::error&) {});
  CAF_CHECK_EQUAL(seen.load(), senders * per_sender);
  for (auto& c : counters)
    caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
}
