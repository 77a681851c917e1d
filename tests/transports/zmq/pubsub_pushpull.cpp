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

#include <algorithm>
#include <condition_variable>
#include <map>
#include <set>
#include <thread>
#include <vector>

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

/// What a subscriber received, message by message, in order.
struct received {
  std::string topic;
  dxhub::zmq::encoding encoding;
  uint64_t correlation;
  expected<event> value;
};

struct log_inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<received> seen;

  topic_handler handler() {
    return [this](std::string_view topic, wire_message msg) {
      auto ev = decode_payload<event>(msg);
      std::lock_guard<std::mutex> guard{mutex};
      seen.push_back({std::string{topic}, msg.header.encoding, msg.header.correlation, ev});
      changed.notify_all();
    };
  }

  /// Waits until a message of `topic` is in (each test ends with a marker).
  bool wait_for_topic(const std::string& topic) {
    std::unique_lock<std::mutex> lock{mutex};
    return changed.wait_for(lock, 20s, [&] {
      return std::any_of(seen.begin(), seen.end(),
                         [&](const received& r) { return r.topic == topic; });
    });
  }
};

void events_as_json(const std::string& endpoint) {
  io_loop loop;
  auto pub = publisher::bind(loop, endpoint);
  CAF_REQUIRE(pub);
  auto publish = [&](const std::string& topic, int n) {
    event ev;
    ev.topic = topic;
    ev.source = "test/pub";
    ev.kind = "state";
    ev.sequence = static_cast<uint64_t>(n);
    ev.data.text = nlohmann::json{{"n", n}}.dump();
    auto sequence = pub.value()->publish(topic, ev);
    CAF_REQUIRE(sequence);
    return std::make_pair(sequence.value(), ev);
  };
  // Nobody asks for JSON yet: one message per event.
  log_inbox binary;
  auto plain = subscriber::connect(loop, pub.value()->endpoint(), {""}, binary.handler());
  CAF_REQUIRE(plain);
  CAF_REQUIRE(pub.value()->wait_for_subscriptions(1, 10s));
  publish("lab/cam0/state", 0);
  publish("lab/start", 1);
  CAF_REQUIRE(binary.wait_for_topic("lab/start"));
  CAF_CHECK_EQUAL(pub.value()->stats().messages_out(), 2u);
  // A subscriber asks for JSON under "lab/cam0/".
  log_inbox json;
  auto asking = subscriber::connect(loop, pub.value()->endpoint(),
                                    {std::string{json_topic_prefix} + "lab/cam0/"}, json.handler());
  CAF_REQUIRE(asking);
  CAF_REQUIRE(pub.value()->wait_for_subscriptions(2, 10s));
  CAF_CHECK(pub.value()->json_subscriptions() == std::vector<std::string>{"json:lab/cam0/"});
  auto [state_seq, state] = publish("lab/cam0/state", 2);
  publish("lab/cam1/state", 3);
  publish("dxhub/registry/node/x", 4);
  auto [end_seq, end] = publish("lab/cam0/end", 5);
  publish("lab/end", 6);
  CAF_REQUIRE(json.wait_for_topic("json:lab/cam0/end"));
  CAF_REQUIRE(binary.wait_for_topic("lab/end"));
  // Two JSON copies (the events under lab/cam0/) besides the seven events.
  CAF_CHECK_EQUAL(pub.value()->stats().messages_out(), 9u);
  {
    std::lock_guard<std::mutex> guard{json.mutex};
    CAF_REQUIRE_EQUAL(json.seen.size(), 2u);
    const auto& first = json.seen[0];
    CAF_CHECK_EQUAL(first.topic, "json:lab/cam0/state");
    CAF_CHECK(first.encoding == dxhub::zmq::encoding::json);
    // The copy carries the sequence number of the binary message it copies.
    CAF_CHECK_EQUAL(first.correlation, state_seq);
    CAF_REQUIRE(first.value);
    CAF_CHECK(first.value.value() == state);
    CAF_CHECK_EQUAL(json.seen[1].correlation, end_seq);
    CAF_CHECK(json.seen[1].value && json.seen[1].value.value() == end);
  }
  {
    // The subscriber to everything gets no JSON copies, and every event once.
    std::lock_guard<std::mutex> guard{binary.mutex};
    CAF_REQUIRE_EQUAL(binary.seen.size(), 7u);
    for (const auto& r : binary.seen) {
      CAF_CHECK(r.encoding == dxhub::zmq::encoding::binary);
      CAF_CHECK(r.value && r.value.value().topic == r.topic);
    }
  }
  // The JSON subscriber leaves: no more copies.
  asking.value().reset();
  auto gone = [&] { return pub.value()->json_subscriptions().empty(); };
  for (int i = 0; i < 200 && !gone(); ++i)
    std::this_thread::sleep_for(50ms); // bounded poll: the unsubscribe travels to the XPUB
  CAF_REQUIRE(gone());
  publish("lab/cam0/state", 7);
  publish("lab/last", 8);
  CAF_REQUIRE(binary.wait_for_topic("lab/last"));
  CAF_CHECK_EQUAL(pub.value()->stats().messages_out(), 11u);
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

CAF_TEST(a subscriber in the json namespace gets JSON copies of its prefix only over ipc) {
  fixture::scratch_dir dir;
  events_as_json(dir.ipc("events"));
}

CAF_TEST(a subscriber in the json namespace gets JSON copies of its prefix only over tcp) {
  events_as_json("tcp://127.0.0.1:0");
}

CAF_TEST(three worker processes handle every pushed item exactly once over ipc) {
  fixture::scratch_dir dir;
  three_workers(dir.ipc("work"), dir.ipc("sink"));
}

CAF_TEST(three worker processes handle every pushed item exactly once over tcp) {
  three_workers("tcp://127.0.0.1:0", "tcp://127.0.0.1:0");
}
