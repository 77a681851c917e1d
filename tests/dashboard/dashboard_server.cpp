#define CAF_SUITE dashboard.dashboard_server
#include "dxhub/actors/detail/dashboard_server.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

// A real server on a free loopback port, spoken to by a real Beast client:
// the token on every request and WebSocket, the bounds on what a page sends.

using namespace dxhub;
using namespace dxhub::actors::detail;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr const char* token = "0123456789abcdef0123456789abcdef";
constexpr auto patience = std::chrono::seconds{10};

/// What the server handed to its owner, waited for with a deadline.
struct recorder {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::string> received;
  int opened = 0;
  int closed = 0;

  dashboard_sink sink() {
    return {[this](uint64_t) { note([this] { ++opened; }); },
            [this](uint64_t, std::string text) {
              note([this, &text] { received.push_back(std::move(text)); });
            },
            [this](uint64_t) { note([this] { ++closed; }); }};
  }

  template <class F>
  void note(F f) {
    std::lock_guard<std::mutex> guard{mtx};
    f();
    cv.notify_all();
  }

  template <class Pred>
  bool wait(Pred p) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, patience, p);
  }
};

struct fixture {
  recorder seen;
  std::shared_ptr<dashboard_server> server;
  net::io_context ioc;

  fixture() {
    dashboard_server_options opts;
    opts.port = 0;
    opts.token = token;
    opts.max_message_bytes = 1024;
    auto opened = dashboard_server::open(opts);
    if (!opened)
      CAF_FAIL("cannot open the server: " << opened.error().what());
    server = opened.value();
    server->start(seen.sink());
  }

  ~fixture() { server->stop(); }

  beast::tcp_stream connect() {
    beast::tcp_stream s{ioc};
    s.expires_after(patience);
    s.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), server->port()});
    return s;
  }

  http::response<http::string_body> get(const std::string& target, const std::string& cookie = {},
                                        http::verb verb = http::verb::get) {
    auto s = connect();
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!cookie.empty())
      req.set(http::field::cookie, cookie);
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res;
  }

  /// A WebSocket handshake to `target`; the error of the handshake, if any.
  beast::error_code open_ws(websocket::stream<beast::tcp_stream>& ws, const std::string& target,
                            const std::string& origin = {}) {
    beast::get_lowest_layer(ws).expires_after(patience);
    beast::get_lowest_layer(ws).connect(
        tcp::endpoint{net::ip::make_address("127.0.0.1"), server->port()});
    auto host = "127.0.0.1:" + std::to_string(server->port());
    ws.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
      if (!origin.empty())
        req.set(http::field::origin, origin);
    }));
    beast::error_code ec;
    ws.handshake(host, target, ec);
    return ec;
  }
};

std::string body_of(const http::response<http::string_body>& res) {
  return res.body();
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(dashboard_server_tests, fixture)

CAF_TEST(a_request_without_the_token_is_refused_with_401) {
  auto res = get("/");
  CAF_CHECK_EQUAL(res.result_int(), 401);
  CAF_CHECK(body_of(res).find("token") != std::string::npos);
  CAF_CHECK(body_of(res).find("<html") == std::string::npos);
  CAF_CHECK_EQUAL(get("/?token=wrong").result_int(), 401);
  CAF_CHECK_EQUAL(get("/app.js").result_int(), 401);
  CAF_CHECK_EQUAL(get("/app.js", "dxhub_token=0123").result_int(), 401);
}

CAF_TEST(the_page_is_served_with_the_token_and_sets_the_cookie) {
  auto res = get(std::string{"/?token="} + token);
  CAF_CHECK_EQUAL(res.result_int(), 200);
  CAF_CHECK(body_of(res).find("dxhub dashboard") != std::string::npos);
  auto cookie = std::string{res[http::field::set_cookie]};
  CAF_CHECK(cookie.find(std::string{"dxhub_token="} + token) != std::string::npos);
  CAF_CHECK(cookie.find("HttpOnly") != std::string::npos);
  auto js = get("/app.js", std::string{"dxhub_token="} + token);
  CAF_CHECK_EQUAL(js.result_int(), 200);
  CAF_CHECK(std::string{js[http::field::content_type]}.find("javascript") != std::string::npos);
  CAF_CHECK_EQUAL(get(std::string{"/no/such/page?token="} + token).result_int(), 404);
  CAF_CHECK_EQUAL(get(std::string{"/?token="} + token, {}, http::verb::post).result_int(), 405);
}

CAF_TEST(an_oversized_request_header_gets_413_and_the_server_keeps_serving) {
  auto res = get("/?token=" + std::string(20000, 'x'));
  CAF_CHECK_EQUAL(res.result_int(), 413);
  CAF_CHECK_EQUAL(get(std::string{"/?token="} + token).result_int(), 200);
}

CAF_TEST(a_websocket_needs_the_token_and_a_same_origin) {
  websocket::stream<beast::tcp_stream> anonymous{ioc};
  CAF_CHECK(open_ws(anonymous, "/ws"));
  websocket::stream<beast::tcp_stream> foreign{ioc};
  CAF_CHECK(open_ws(foreign, std::string{"/ws?token="} + token, "http://evil.example"));
  CAF_CHECK_EQUAL(seen.opened, 0);
  websocket::stream<beast::tcp_stream> page{ioc};
  auto host = "http://127.0.0.1:" + std::to_string(server->port());
  CAF_REQUIRE(!open_ws(page, std::string{"/ws?token="} + token, host));
  CAF_CHECK(seen.wait([&] { return seen.opened == 1; }));
  page.text(true);
  page.write(net::buffer(std::string{R"({"type":"watch","views":[]})"}));
  CAF_CHECK(seen.wait([&] { return seen.received.size() == 1; }));
  server->send_text(0, R"({"type":"hello"})");
  beast::flat_buffer buf;
  page.read(buf);
  CAF_CHECK_EQUAL(beast::buffers_to_string(buf.data()), R"({"type":"hello"})");
}

CAF_TEST(an_oversized_websocket_message_closes_that_page_only) {
  auto host = "http://127.0.0.1:" + std::to_string(server->port());
  websocket::stream<beast::tcp_stream> big{ioc};
  CAF_REQUIRE(!open_ws(big, std::string{"/ws?token="} + token, host));
  big.text(true);
  big.write(net::buffer(std::string(4096, 'x')));
  beast::flat_buffer buf;
  beast::error_code ec;
  big.read(buf, ec);
  CAF_CHECK(ec); // the read ends: the server closed this page
  CAF_CHECK_EQUAL(big.reason().code, websocket::close_code::too_big);
  CAF_CHECK(seen.wait([&] { return seen.closed == 1; }));
  CAF_CHECK(seen.received.empty());
  // The next page is served as if nothing happened.
  websocket::stream<beast::tcp_stream> next{ioc};
  CAF_REQUIRE(!open_ws(next, std::string{"/ws?token="} + token, host));
  next.text(true);
  next.write(net::buffer(std::string{"{}"}));
  CAF_CHECK(seen.wait([&] { return seen.received.size() == 1; }));
}

CAF_TEST(a_frame_waiting_for_a_page_is_replaced_by_a_newer_one) {
  auto host = "http://127.0.0.1:" + std::to_string(server->port());
  websocket::stream<beast::tcp_stream> page{ioc};
  CAF_REQUIRE(!open_ws(page, std::string{"/ws?token="} + token, host));
  CAF_REQUIRE(seen.wait([&] { return seen.opened == 1; }));
  // The page's id is 1: the first page this server opened.
  for (int i = 0; i < 50; ++i)
    server->send_frame(1, "cam", std::make_shared<const std::string>(std::to_string(i)));
  // Read until the newest frame arrives (the stream's deadline bounds it).
  std::vector<std::string> got;
  while (got.empty() || got.back() != "49") {
    beast::flat_buffer buf;
    page.read(buf);
    got.push_back(beast::buffers_to_string(buf.data()));
  }
  // Older frames were replaced while the first one was being written.
  CAF_CHECK(got.size() < 50u);
}

CAF_TEST_FIXTURE_SCOPE_END()
