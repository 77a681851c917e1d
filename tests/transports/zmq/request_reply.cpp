#define CAF_SUITE zmq.request_reply
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/wait.hpp"
#include "dxhub/tests/transports/zmq/lab_service.hpp"
#include "dxhub/transports/zmq/blocking_client.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <future>
#include <optional>
#include <thread>

using namespace dxhub;
using namespace dxhub::zmq;
using namespace std::chrono_literals;

namespace {

constexpr int client_processes = 8;
constexpr int requests_per_client = 1000;

std::string peer() {
  return dxhub::test::built_program("tests/transports/zmq/zmq_peer");
}

expected<wire_message> ask(client& c, uint64_t id, int64_t n, std::chrono::milliseconds timeout) {
  auto payload = encode_payload(fixture::double_command(id, n, "suite"), encoding::binary);
  return c.request_sync(header_for<command>(message_kind::request, encoding::binary),
                        std::move(payload).value(), timeout);
}

// 8 client processes, each with 1000 requests outstanding at once; every
// client checks that every reply answers its own request.
void many_clients_many_requests(const std::string& endpoint) {
  io_loop loop;
  auto srv = server::bind(loop, endpoint, fixture::lab_service);
  CAF_REQUIRE(srv);
  std::vector<dxhub::test::child_process> clients;
  for (int i = 0; i < client_processes; ++i)
    clients.emplace_back(std::vector<std::string>{peer(), "client", srv.value()->endpoint(),
                                                  std::to_string(requests_per_client),
                                                  "client-" + std::to_string(i)},
                         std::vector<std::string>{});
  for (auto& child : clients) {
    auto line = child.read_line(60s);
    CAF_REQUIRE(line);
    CAF_CHECK_EQUAL(*line, "ok " + std::to_string(requests_per_client));
    CAF_CHECK_EQUAL(child.exit_code(10s).value_or(-100), 0);
  }
  auto& stats = srv.value()->stats();
  CAF_CHECK_EQUAL(stats.messages_in(), uint64_t{client_processes * requests_per_client});
  CAF_CHECK_EQUAL(stats.messages_out(), uint64_t{client_processes * requests_per_client});
  CAF_CHECK_EQUAL(stats.rejected_total(), 0u);
}

// A server process that takes requests and dies before answering: every
// waiting request fails (peer_down, or timeout at the latest), none hangs.
void dying_server(const std::string& endpoint) {
  dxhub::test::child_process srv{{peer(), "silent-server", endpoint, "5"}};
  auto bound = srv.read_line(10s);
  CAF_REQUIRE(bound && bound->rfind("bound ", 0) == 0);
  io_loop loop;
  auto c = client::connect(loop, bound->substr(6));
  CAF_REQUIRE(c);
  std::vector<std::future<expected<wire_message>>> answers;
  for (int i = 0; i < 10; ++i)
    answers.push_back(std::async(std::launch::async, [&, i] { return ask(*c.value(), 0, i, 8s); }));
  for (auto& answer : answers) {
    CAF_REQUIRE(answer.wait_for(15s) == std::future_status::ready);
    auto result = answer.get();
    CAF_REQUIRE(!result);
    CAF_CHECK(result.error().code == errc::peer_down || result.error().code == errc::timeout);
    CAF_MESSAGE("request failed with " << result.error().what());
  }
  CAF_CHECK_EQUAL(srv.exit_code(5s).value_or(0), -9);
}

} // namespace

CAF_TEST(a typed call gets its reply) {
  fixture::scratch_dir dir;
  io_loop loop;
  auto srv = server::bind(loop, dir.ipc("lab"), fixture::lab_service);
  CAF_REQUIRE(srv);
  auto c = client::connect(loop, srv.value()->endpoint());
  CAF_REQUIRE(c);
  auto answer = c.value()->call<dxhub::reply>(fixture::double_command(3, 21, "me"), 5s);
  CAF_REQUIRE(answer);
  CAF_CHECK_EQUAL(answer.value().id, 3u);
  CAF_CHECK_EQUAL(answer.value().result.text, R"({"n":42,"tag":"me"})");
}

CAF_TEST(a reply may come later from another thread) {
  io_loop loop;
  std::vector<std::thread> workers;
  std::mutex mutex;
  auto srv = server::bind(loop, "tcp://127.0.0.1:0", [&](request req, responder answer) {
    std::lock_guard<std::mutex> guard{mutex};
    workers.emplace_back([req = std::make_shared<request>(std::move(req)), answer]() mutable {
      std::this_thread::sleep_for(10ms); // simulated work: a late reply
      fixture::lab_service(std::move(*req), answer);
      CAF_CHECK(!answer.fail(error{errc::timeout})); // exactly once: a second answer is refused
    });
  });
  CAF_REQUIRE(srv);
  CAF_CHECK(srv.value()->endpoint().rfind("tcp://127.0.0.1:", 0) == 0);
  CAF_CHECK(srv.value()->endpoint() != "tcp://127.0.0.1:0");
  auto c = client::connect(loop, srv.value()->endpoint());
  CAF_REQUIRE(c);
  CAF_CHECK_EQUAL(fixture::check_double_reply(ask(*c.value(), 9, 4, 5s), 9, 4, "suite"), "");
  std::lock_guard<std::mutex> guard{mutex};
  for (auto& w : workers)
    w.join();
}

CAF_TEST(an unanswered request times out) {
  fixture::scratch_dir dir;
  io_loop loop;
  std::vector<responder> held;
  auto srv = server::bind(loop, dir.ipc("mute"),
                          [&](request, responder answer) { held.push_back(answer); });
  CAF_REQUIRE(srv);
  auto c = client::connect(loop, srv.value()->endpoint());
  CAF_REQUIRE(c);
  auto answer = ask(*c.value(), 1, 1, 200ms);
  CAF_REQUIRE(!answer);
  CAF_CHECK(answer.error().code == errc::timeout);
  CAF_CHECK_EQUAL(c.value()->pending(), 0u);
}

CAF_TEST(a request after the server went away fails at once and succeeds once it is back) {
  fixture::scratch_dir dir;
  auto endpoint = dir.ipc("comeback");
  io_loop client_loop;
  auto c = client::connect(client_loop, endpoint);
  CAF_REQUIRE(c);
  {
    io_loop server_loop;
    auto srv = server::bind(server_loop, endpoint, fixture::lab_service);
    CAF_REQUIRE(srv);
    CAF_CHECK_EQUAL(fixture::check_double_reply(ask(*c.value(), 1, 1, 5s), 1, 1, "suite"), "");
  } // the server goes away: its socket closes, the client sees the disconnect
  // Not queued until the timeout (30 s here) for a server that may never come
  // back: peer_down, whether the request left before the disconnect was seen
  // (then it fails with it) or after (then at once).
  auto gone = ask(*c.value(), 2, 2, 30s);
  CAF_REQUIRE(!gone);
  CAF_CHECK_EQUAL(std::string{name(gone.error().code)}, std::string{name(errc::peer_down)});
  CAF_MESSAGE("while the server is away: " << gone.error().what());
  auto again = ask(*c.value(), 3, 3, 30s);
  CAF_REQUIRE(!again);
  CAF_CHECK_EQUAL(std::string{name(again.error().code)}, std::string{name(errc::peer_down)});
  // Back at the same endpoint: the client reconnects and is served again.
  io_loop server_loop;
  auto srv = server::bind(server_loop, endpoint, fixture::lab_service);
  CAF_REQUIRE(srv);
  // Bounded poll: each attempt fails at once until the handshake is done.
  std::string answered = "no answer";
  CAF_CHECK(dxhub::test::wait_until(
      [&] {
        return (answered = fixture::check_double_reply(ask(*c.value(), 4, 4, 5s), 4, 4, "suite"))
            .empty();
      },
      10s, 20ms));
  CAF_CHECK_EQUAL(answered, "");
}

CAF_TEST(a client cannot hold more unanswered requests than the server allows) {
  fixture::scratch_dir dir;
  io_loop loop;
  std::vector<responder> held; // loop thread only
  server_options options;
  options.limits.max_in_flight_per_client = 3;
  auto srv = server::bind(
      loop, dir.ipc("mute"), [&](request, responder answer) { held.push_back(answer); }, options);
  CAF_REQUIRE(srv);
  auto c = client::connect(loop, srv.value()->endpoint());
  CAF_REQUIRE(c);
  // Three requests the server keeps: the client gives up, the server still holds them.
  for (uint64_t id = 1; id <= 3; ++id)
    CAF_CHECK(ask(*c.value(), id, 1, 100ms).error().code == errc::timeout);
  auto refused = ask(*c.value(), 4, 1, 5s);
  CAF_REQUIRE(!refused);
  CAF_CHECK(refused.error().code == errc::would_block);
  CAF_MESSAGE(refused.error().what());
  CAF_CHECK(refused.error().context.find("3 requests waiting") != std::string::npos);
  CAF_CHECK_EQUAL(loop.call([&] { return held.size(); }), 3u);
  // One answered, one dropped unanswered: two more are taken.
  loop.call([&] {
    held[0].fail(error{errc::service_error, "late"});
    held.erase(held.begin(), held.begin() + 2);
  });
  for (uint64_t id = 5; id <= 6; ++id)
    CAF_CHECK(ask(*c.value(), id, 1, 100ms).error().code == errc::timeout);
  CAF_CHECK(ask(*c.value(), 7, 1, 5s).error().code == errc::would_block);
  CAF_CHECK_EQUAL(loop.call([&] { return held.size(); }), 3u);
  loop.call([&] { held.clear(); });
}

CAF_TEST(an error from the service reaches the caller) {
  fixture::scratch_dir dir;
  io_loop loop;
  auto srv = server::bind(loop, dir.ipc("lab"), fixture::lab_service);
  CAF_REQUIRE(srv);
  auto c = client::connect(loop, srv.value()->endpoint());
  CAF_REQUIRE(c);
  auto cmd = fixture::double_command(1, 1, "me");
  cmd.name = "triple";
  auto answer = c.value()->call<dxhub::reply>(cmd, 5s);
  CAF_REQUIRE(!answer);
  CAF_CHECK(answer.error().code == errc::unknown_command);
  CAF_CHECK_EQUAL(answer.error().context, "triple");
}

CAF_TEST(a blocking client gets its replies on its own thread and skips a late one) {
  fixture::scratch_dir dir;
  io_loop loop;
  // The first request is answered only when the second comes, before it.
  std::optional<std::pair<request, responder>> held;
  auto srv = server::bind(loop, dir.ipc("lab"), [&](request req, responder answer) {
    if (!held) {
      held.emplace(std::move(req), answer);
      return;
    }
    fixture::lab_service(std::move(held->first), held->second);
    fixture::lab_service(std::move(req), answer);
  });
  CAF_REQUIRE(srv);
  auto c = blocking_client::connect(loop, srv.value()->endpoint());
  CAF_REQUIRE(c);
  auto first = c.value()->call<dxhub::reply>(fixture::double_command(1, 1, "me"), 200ms);
  CAF_REQUIRE(!first);
  CAF_CHECK(first.error().code == errc::timeout);
  auto second = c.value()->call<dxhub::reply>(fixture::double_command(2, 21, "me"), 5s);
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(second.value().id, 2u);
  CAF_CHECK_EQUAL(second.value().result.text, R"({"n":42,"tag":"me"})");
  CAF_CHECK_EQUAL(c.value()->stats().rejected_total(), 1u); // the late reply to the first
  auto cmd = fixture::double_command(3, 1, "me");
  cmd.name = "triple";
  auto failed = c.value()->call<dxhub::reply>(cmd, 5s);
  CAF_REQUIRE(!failed);
  CAF_CHECK(failed.error().code == errc::unknown_command);
}

CAF_TEST(a blocking client with no server times out) {
  fixture::scratch_dir dir;
  io_loop loop;
  auto c = blocking_client::connect(loop, dir.ipc("nobody"));
  CAF_REQUIRE(c);
  auto answer = c.value()->call<dxhub::reply>(fixture::double_command(1, 1, "me"), 100ms);
  CAF_REQUIRE(!answer);
  CAF_CHECK(answer.error().code == errc::timeout);
}

CAF_TEST(eight client processes with a thousand outstanding requests each over ipc) {
  fixture::scratch_dir dir;
  many_clients_many_requests(dir.ipc("lab"));
}

CAF_TEST(eight client processes with a thousand outstanding requests each over tcp) {
  many_clients_many_requests("tcp://127.0.0.1:0");
}

CAF_TEST(a server that dies mid request fails the waiting requests over ipc) {
  fixture::scratch_dir dir;
  dying_server(dir.ipc("dying"));
}

CAF_TEST(a server that dies mid request fails the waiting requests over tcp) {
  dying_server("tcp://127.0.0.1:0");
}
