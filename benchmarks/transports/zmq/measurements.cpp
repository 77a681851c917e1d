#include "dxhub/benchmarks/transports/zmq/measurements.hpp"

#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/transports/zmq/blocking_client.hpp"
#include "dxhub/transports/zmq/client.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/server.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <zmq.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace dxhub::bench::zmq {

namespace dz = dxhub::zmq;
using namespace std::chrono_literals;

namespace {

// The payload every sender sends from, without copying (the envelope API
// borrows it; raw cppzmq gets the same zero-copy message).
std::shared_ptr<std::vector<std::byte>> make_buffer(std::size_t bytes) {
  return std::make_shared<std::vector<std::byte>>(bytes, std::byte{0x5a});
}

::zmq::message_t raw_borrow(const std::vector<std::byte>& buffer) {
  return ::zmq::message_t{const_cast<std::byte*>(buffer.data()), buffer.size(), nullptr, nullptr};
}

// The options open_socket gives every envelope socket (socket_ops.cpp), so
// that raw and envelope sockets differ in nothing but the envelope.
void same_options_as_envelope(::zmq::socket_t& socket) {
  dz::limits lim;
  socket.set(::zmq::sockopt::linger, 0);
  socket.set(::zmq::sockopt::maxmsgsize, lim.transport_max_frame());
  socket.set(::zmq::sockopt::sndhwm, lim.high_water_mark);
  socket.set(::zmq::sockopt::rcvhwm, lim.high_water_mark);
}

dz::envelope_header bench_header() {
  dz::envelope_header header;
  header.schema = schema_id{"bench.blob", 1, 0x1234};
  return header;
}

} // namespace

// The payload frame of the envelope measurements: the same kind of zero-copy
// message as the raw side gets, unless shared ownership is measured.
::zmq::message_t envelope_payload(const run_options& o,
                                  const std::shared_ptr<std::vector<std::byte>>& buffer) {
  std::span<const std::byte> bytes{buffer->data(), buffer->size()};
  return o.shared_ownership ? dz::borrow_payload(buffer, bytes) : dz::static_payload(bytes);
}

namespace {

// Round trips against an envelope echo server (the request's payload frame
// goes back as it came, no copy): `connect(loop, endpoint)` makes the client,
// `ask(client, payload)` is one round trip.
template <class Connect, class Ask>
std::vector<double> echo_round_trips(const run_options& o, Connect connect, Ask ask) {
  auto buffer = make_buffer(o.bytes); // outlives the loops and their sockets
  dz::io_loop server_loop;
  dz::io_loop client_loop;
  auto srv = dz::server::bind(server_loop, o.endpoint, [](dz::request req, dz::responder answer) {
    answer.reply(req.header, std::move(req.payload));
  });
  if (!srv) {
    std::fprintf(stderr, "bind %s: %s\n", o.endpoint.c_str(), srv.error().what().c_str());
    return {};
  }
  auto c = connect(client_loop, srv.value()->endpoint());
  if (!c)
    return {};
  std::vector<double> samples;
  samples.reserve(o.iterations);
  for (std::size_t i = 0; i < o.warmup + o.iterations; ++i) {
    auto start = now_ns();
    auto answer = ask(*c.value(), envelope_payload(o, buffer));
    auto stop = now_ns();
    if (!answer || answer.value().payload.size() != o.bytes) {
      std::fprintf(stderr, "envelope round trip failed\n");
      return {};
    }
    if (i >= o.warmup)
      samples.push_back(static_cast<double>(stop - start));
  }
  return samples;
}

} // namespace

std::vector<double> envelope_round_trips(const run_options& o) {
  return echo_round_trips(
      o, [](dz::io_loop& loop, const std::string& at) { return dz::client::connect(loop, at); },
      [](dz::client& c, ::zmq::message_t payload) {
        return c.request_sync(bench_header(), std::move(payload), 10s);
      });
}

std::vector<double> envelope_blocking_round_trips(const run_options& o) {
  return echo_round_trips(
      o,
      [](dz::io_loop& loop, const std::string& at) {
        return dz::blocking_client::connect(loop, at); // the loop lends its context only
      },
      [](dz::blocking_client& c, ::zmq::message_t payload) {
        return c.request(bench_header(), std::move(payload), 10s);
      });
}

std::vector<double> raw_round_trips(const run_options& o) {
  // Server and client in contexts of their own, as in two processes (and as
  // the envelope measurement runs them, on two io_loops).
  ::zmq::context_t context{1};
  ::zmq::context_t client_context{1};
  ::zmq::socket_t router{context, ZMQ_ROUTER};
  same_options_as_envelope(router);
  auto bind_to = o.endpoint;
  if (bind_to.ends_with(":0"))
    bind_to.replace(bind_to.size() - 1, 1, "*");
  router.bind(bind_to);
  auto where = router.get(::zmq::sockopt::last_endpoint);
  std::atomic<bool> stop{false};
  // Echo server thread: [identity][payload] back as received.
  std::thread echo{[&] {
    std::vector<::zmq::pollitem_t> items{{router.handle(), 0, ZMQ_POLLIN, 0}};
    while (!stop) {
      if (::zmq::poll(items, 100ms) == 0)
        continue;
      ::zmq::message_t id, body;
      (void)router.recv(id);
      (void)router.recv(body);
      router.send(id, ::zmq::send_flags::sndmore);
      router.send(body, ::zmq::send_flags::none);
    }
  }};
  ::zmq::socket_t dealer{client_context, ZMQ_DEALER};
  same_options_as_envelope(dealer);
  dealer.connect(where);
  auto buffer = make_buffer(o.bytes);
  std::vector<double> samples;
  samples.reserve(o.iterations);
  for (std::size_t i = 0; i < o.warmup + o.iterations; ++i) {
    auto start = now_ns();
    dealer.send(raw_borrow(*buffer), ::zmq::send_flags::none);
    ::zmq::message_t answer;
    (void)dealer.recv(answer);
    auto end = now_ns();
    if (i >= o.warmup)
      samples.push_back(static_cast<double>(end - start));
  }
  stop = true;
  echo.join();
  return samples;
}

double envelope_pubsub_rate(const run_options& o) {
  auto buffer = make_buffer(o.bytes); // outlives the loops and their sockets
  dz::io_loop pub_loop;
  dz::io_loop sub_loop;
  auto pub = dz::publisher::bind(pub_loop, o.endpoint);
  if (!pub)
    return 0;
  std::mutex mutex;
  std::condition_variable done;
  std::size_t received = 0;
  int64_t last_ns = 0;
  auto total = o.warmup + o.iterations;
  auto sub = dz::subscriber::connect(sub_loop, pub.value()->endpoint(), {"bench"},
                                     [&](std::string_view, dz::wire_message) {
                                       std::lock_guard<std::mutex> guard{mutex};
                                       if (++received == total) {
                                         last_ns = now_ns();
                                         done.notify_all();
                                       }
                                     });
  if (!sub || !pub.value()->wait_for_subscriptions(1, 5s))
    return 0;
  int64_t first_ns = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (i == o.warmup)
      first_ns = now_ns();
    pub.value()->publish("bench", bench_header(), envelope_payload(o, buffer));
  }
  std::unique_lock<std::mutex> lock{mutex};
  if (!done.wait_for(lock, 60s, [&] { return received == total; }))
    return 0; // messages lost: no rate to report
  return static_cast<double>(o.iterations) / (static_cast<double>(last_ns - first_ns) * 1e-9);
}

double raw_pubsub_rate(const run_options& o) {
  ::zmq::context_t context{1};
  ::zmq::context_t sub_context{1};
  ::zmq::socket_t pub{context, ZMQ_XPUB};
  same_options_as_envelope(pub);
  pub.set(::zmq::sockopt::xpub_verbose, 1);
  auto bind_to = o.endpoint;
  if (bind_to.ends_with(":0"))
    bind_to.replace(bind_to.size() - 1, 1, "*");
  pub.bind(bind_to);
  auto where = pub.get(::zmq::sockopt::last_endpoint);
  auto total = o.warmup + o.iterations;
  std::atomic<int64_t> last_ns{0};
  std::atomic<std::size_t> received{0};
  std::thread reader{[&] {
    ::zmq::socket_t sub{sub_context, ZMQ_SUB};
    same_options_as_envelope(sub);
    sub.set(::zmq::sockopt::subscribe, "bench");
    sub.connect(where);
    sub.set(::zmq::sockopt::rcvtimeo, 200);
    auto deadline = now_ns() + 60'000'000'000;
    while (received < total && now_ns() < deadline) {
      ::zmq::message_t topic, body;
      if (!sub.recv(topic))
        continue;
      (void)sub.recv(body);
      if (++received == total)
        last_ns = now_ns();
    }
  }};
  // Start when the subscription is in, as the envelope publisher does (XPUB).
  pub.set(::zmq::sockopt::rcvtimeo, 5000);
  ::zmq::message_t subscription;
  if (!pub.recv(subscription)) {
    reader.join();
    return 0;
  }
  auto buffer = make_buffer(o.bytes);
  int64_t first_ns = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (i == o.warmup)
      first_ns = now_ns();
    pub.send(::zmq::buffer(std::string_view{"bench"}), ::zmq::send_flags::sndmore);
    pub.send(raw_borrow(*buffer), ::zmq::send_flags::none);
  }
  reader.join();
  if (received != total)
    return 0;
  return static_cast<double>(o.iterations) / (static_cast<double>(last_ns - first_ns) * 1e-9);
}

} // namespace dxhub::bench::zmq
