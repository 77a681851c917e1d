// zmq_peer: the other processes of the zmq tests.
//
//   zmq_peer client ENDPOINT COUNT TAG       COUNT concurrent requests; prints "ok COUNT"
//   zmq_peer silent-server ENDPOINT DIE_AFTER   takes requests, answers none, and
//                                             kills itself after DIE_AFTER of them
//   zmq_peer worker PULL_ENDPOINT SINK_ENDPOINT   forwards every item to the sink
//   zmq_peer curve-client ENDPOINT KEYFILE SERVER_PUBKEY   one request; prints the outcome

#include "dxhub/tests/transports/zmq/lab_service.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/puller.hpp"
#include "dxhub/transports/zmq/pusher.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <mutex>
#include <string>
#include <unistd.h>

using namespace dxhub;
using namespace dxhub::zmq;
using namespace std::chrono_literals;

namespace {

int run_client(const std::string& endpoint, int count, const std::string& tag) {
  io_loop loop;
  auto maybe_client = client::connect(loop, endpoint);
  if (!maybe_client) {
    std::cout << "fail " << maybe_client.error().what() << std::endl;
    return 1;
  }
  auto& c = *maybe_client.value();
  std::atomic<int> answered{0};
  std::mutex mutex;
  std::string first_failure;
  std::promise<void> all;
  for (int i = 0; i < count; ++i) {
    auto cmd = fixture::double_command(static_cast<uint64_t>(i), i, tag);
    auto payload = encode_payload(cmd, encoding::binary);
    c.request(header_for<command>(message_kind::request, encoding::binary),
              std::move(payload).value(), 30s, [&, i](expected<wire_message> answer) {
                auto problem =
                    fixture::check_double_reply(answer, static_cast<uint64_t>(i), i, tag);
                if (!problem.empty()) {
                  std::lock_guard<std::mutex> guard{mutex};
                  if (first_failure.empty())
                    first_failure = problem;
                }
                if (++answered == count)
                  all.set_value();
              });
  }
  all.get_future().wait();
  if (!first_failure.empty()) {
    std::cout << "fail " << first_failure << std::endl;
    return 1;
  }
  std::cout << "ok " << count << std::endl;
  return 0;
}

int run_silent_server(const std::string& endpoint, int die_after) {
  io_loop loop;
  std::atomic<int> seen{0};
  std::vector<responder> held; // never answered
  auto maybe_server = server::bind(loop, endpoint, [&](request, responder answer) {
    held.push_back(answer);
    if (++seen == die_after)
      ::raise(SIGKILL); // dies mid-request, as a crashing node would
  });
  if (!maybe_server) {
    std::cout << "fail " << maybe_server.error().what() << std::endl;
    return 1;
  }
  std::cout << "bound " << maybe_server.value()->endpoint() << std::endl;
  for (;;)
    ::pause();
}

int run_worker(const std::string& work, const std::string& sink) {
  io_loop loop;
  auto maybe_sink = pusher::connect(loop, sink);
  if (!maybe_sink)
    return 1;
  auto& out = *maybe_sink.value();
  auto me = "worker-" + std::to_string(::getpid());
  auto maybe_puller = puller::connect(loop, work, [&](wire_message item) {
    // Hand the item on to the sink, signed by this worker.
    auto cmd = decode_payload<command>(item);
    if (!cmd)
      return;
    cmd.value().caller = me;
    (void)out.push(cmd.value(), item.header.encoding);
  });
  if (!maybe_puller)
    return 1;
  std::cout << "ready " << ::getpid() << std::endl;
  for (;;)
    ::pause();
}

int run_curve_client(const std::string& endpoint, const std::string& keyfile,
                     const std::string& server_key) {
  io_loop loop;
  client_options options;
  if (keyfile != "-") {
    auto keys = load_keypair(keyfile);
    if (!keys) {
      std::cout << "fail " << keys.error().what() << std::endl;
      return 1;
    }
    options.curve_client = client_security{keys.value(), server_key};
  }
  auto maybe_client = client::connect(loop, endpoint, options);
  if (!maybe_client) {
    std::cout << "fail " << maybe_client.error().what() << std::endl;
    return 1;
  }
  auto cmd = fixture::double_command(7, 21, "curve");
  auto payload = encode_payload(cmd, encoding::binary);
  auto answer = maybe_client.value()->request_sync(
      header_for<command>(message_kind::request, encoding::binary), std::move(payload).value(), 3s);
  auto problem = fixture::check_double_reply(answer, 7, 21, "curve");
  if (!answer)
    std::cout << "error " << name(answer.error().code) << std::endl;
  else
    std::cout << (problem.empty() ? "served" : "wrong " + problem) << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args{argv + 1, argv + argc};
  if (args.size() == 4 && args[0] == "client")
    return run_client(args[1], std::stoi(args[2]), args[3]);
  if (args.size() == 3 && args[0] == "silent-server")
    return run_silent_server(args[1], std::stoi(args[2]));
  if (args.size() == 3 && args[0] == "worker")
    return run_worker(args[1], args[2]);
  if (args.size() == 4 && args[0] == "curve-client")
    return run_curve_client(args[1], args[2], args[3]);
  std::cerr << "usage: see the top of zmq_peer.cpp\n";
  return 2;
}
