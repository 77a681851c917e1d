#define CAF_SUITE zmq.pubsub_pushpull
#include "dxhub/schemas/event.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/transports/zmq/lab_service.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/puller.hpp"
#include "dxhub/transports/zmq/pusher.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <condition_variable>
#include <map>
#include <set>

using namespace dxhub;
using namespace dxhub::zmq;
using namespace std::chrono_literals;

namespace {

/// What one subscriber received: topic and sequence of every event.
struct inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::multiset<std::pair<std::string, uint64_t>> seen;
  int bad = 0;

  topic_handler handler() {
    return [this](std::string_view topic, wire_message msg) {
      auto ev = decode_payload<event>(msg);
      std::lock_guard<std::mutex> guard{mutex};
      if (!ev || ev.value().topic != topic)
        ++bad; // checked on the test thread: CAF checks are not thread-safe
      seen.emplace(std::string{topic}, msg.header.correlation);
      changed.notify_all();
    };
  }

  bool wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock{mutex};
    return changed.wait_for(lock, 20s, [&] { return seen.size() >= count; });
  }
};

void topic_prefixes(const std::string& endpoint) {
  io_loop loop;
  auto pub = publisher::bind(loop, endpoint);
  CAF_REQUIRE(pub);
  inbox cam0, lab, system;
  auto s1 = subscriber::connect(loop, pub.value()->endpoint(), {"lab/cam0/"}, cam0.handler());
  auto s2 = subscriber::connect(loop, pub.value()->endpoint(), {"lab/"}, lab.handler());
  auto s3 = subscriber::connect(loop, pub.value()->endpoint(), {"dxhub/"}, system.handler());
  CAF_REQUIRE(s1 && s2 && s3);
  CAF_REQUIRE(pub.value()->wait_for_subscriptions(3, 10s));
  const std::vector<std::string> topics{"lab/cam0/state", "lab/cam1/state",
                                        "dxhub/supervisor/restart", "laboratory/x"};
  std::map<std::string, std::set<uint64_t>> published;
  constexpr int rounds = 500;
  for (int i = 0; i < rounds; ++i)
    for (const auto& topic : topics) {
      event ev;
      ev.topic = topic;
      ev.kind = "state";
      auto sequence = pub.value()->publish(topic, ev);
      CAF_REQUIRE(sequence);
      published[topic].insert(sequence.value());
    }
  CAF_REQUIRE(cam0.wait_for(rounds));
  CAF_REQUIRE(lab.wait_for(2 * rounds));
  CAF_REQUIRE(system.wait_for(rounds));
  // Nothing more arrives than what matches. An end marker each subscriber
  // matches, published last, arrives after everything published before it
  // (one connection delivers in order): a stray event would be in by then.
  for (const std::string topic : {"lab/cam0/end", "dxhub/end"}) {
    event ev;
    ev.topic = topic;
    ev.kind = "end";
    auto sequence = pub.value()->publish(topic, ev);
    CAF_REQUIRE(sequence);
    published[topic].insert(sequence.value());
  }
  CAF_REQUIRE(cam0.wait_for(rounds + 1));
  CAF_REQUIRE(lab.wait_for(2 * rounds + 1));
  CAF_REQUIRE(system.wait_for(rounds + 1));
  auto check_inbox = [&](inbox& box, std::vector<std::string> wanted) {
    std::multiset<std::pair<std::string, uint64_t>> expected_events;
    for (const auto& topic : wanted)
      for (auto sequence : published[topic])
        expected_events.emplace(topic, sequence);
    std::lock_guard<std::mutex> guard{box.mutex};
    CAF_CHECK(box.seen == expected_events);
    CAF_CHECK_EQUAL(box.bad, 0);
  };
  check_inbox(cam0, {"lab/cam0/state", "lab/cam0/end"});
  check_inbox(lab, {"lab/cam0/state", "lab/cam1/state", "lab/cam0/end"});
  check_inbox(system, {"dxhub/supervisor/restart", "dxhub/end"});
  CAF_CHECK_EQUAL(pub.value()->stats().messages_out(), uint64_t{rounds * topics.size() + 2});
}

void three_workers(const std::string& work_endpoint, const std::string& sink_endpoint) {
  io_loop loop;
  std::mutex mutex;
  std::condition_variable changed;
  std::map<uint64_t, int> handled; // item id -> times seen at the sink
  std::map<std::string, int> per_worker;
  std::map<uint64_t, std::string> worker_of;
  int bad_items = 0;
  auto sink = puller::bind(loop, sink_endpoint, [&](wire_message item) {
    auto cmd = decode_payload<command>(item);
    std::lock_guard<std::mutex> guard{mutex};
    if (!cmd) {
      ++bad_items;
      return;
    }
    ++handled[cmd.value().id];
    ++per_worker[cmd.value().caller];
    worker_of[cmd.value().id] = cmd.value().caller;
    changed.notify_all();
  });
  CAF_REQUIRE(sink);
  auto work = pusher::bind(loop, work_endpoint);
  CAF_REQUIRE(work);
  std::vector<dxhub::test::child_process> workers;
  for (int i = 0; i < 3; ++i)
    workers.emplace_back(
        std::vector<std::string>{dxhub::test::built_program("tests/transports/zmq/zmq_peer"),
                                 "worker", work.value()->endpoint(), sink.value()->endpoint()});
  for (auto& w : workers) {
    auto line = w.read_line(10s);
    CAF_REQUIRE(line && line->rfind("ready", 0) == 0);
  }
  constexpr uint64_t items = 3000;
  for (uint64_t i = 0; i < items; ++i)
    CAF_REQUIRE(work.value()->push(fixture::double_command(i, 0, "ventilator")));
  {
    std::unique_lock<std::mutex> lock{mutex};
    CAF_REQUIRE(changed.wait_for(lock, 30s, [&] { return handled.size() == items; }));
  }
  // A duplicate would arrive before a later item of the same worker (one
  // connection delivers in order): one more item through every worker, and
  // any duplicate is in.
  std::set<std::string> drained;
  for (uint64_t marker = items; drained.size() < workers.size() && marker < 2 * items; ++marker) {
    CAF_REQUIRE(work.value()->push(fixture::double_command(marker, 0, "ventilator")));
    std::unique_lock<std::mutex> lock{mutex};
    CAF_REQUIRE(changed.wait_for(lock, 30s, [&] { return handled.count(marker) > 0; }));
    drained.insert(worker_of[marker]);
    per_worker[worker_of[marker]]--; // the markers are not the workload
    handled.erase(marker);
  }
  std::lock_guard<std::mutex> guard{mutex};
  CAF_CHECK_EQUAL(drained.size(), workers.size());
  CAF_CHECK_EQUAL(handled.size(), items);
  CAF_CHECK_EQUAL(bad_items, 0);
  CAF_CHECK(handled.rbegin()->first == items - 1);
  for (auto& [id, times] : handled)
    if (times != 1)
      CAF_FAIL("item " << id << " handled " << times << " times");
  for (auto& [worker, count] : per_worker)
    CAF_MESSAGE(worker << " handled " << count << " items");
}

} // namespace

CAF_TEST(subscribers get exactly the topics of their prefixes over ipc) {
  fixture::scratch_dir dir;
  topic_prefixes(dir.ipc("events"));
}

CAF_TEST(subscribers get exactly the topics of their prefixes over tcp) {
  topic_prefixes("tcp://127.0.0.1:0");
}

CAF_TEST(three worker processes handle every pushed item exactly once over ipc) {
  fixture::scratch_dir dir;
  three_workers(dir.ipc("work"), dir.ipc("sink"));
}

CAF_TEST(three worker processes handle every pushed item exactly once over tcp) {
  three_workers("tcp://127.0.0.1:0", "tcp://127.0.0.1:0");
}
