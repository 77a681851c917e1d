#include "dxhub/actors/detail/dashboard_server.hpp"

#include "dxhub/actors/detail/dashboard_access.hpp"
#include "dxhub/actors/detail/dashboard_assets.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <thread>

namespace dxhub::actors::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// Bounds of one HTTP request: the page only ever sends GETs.
constexpr uint32_t max_header_bytes = 8 * 1024;
constexpr uint64_t max_body_bytes = uint64_t{8} * 1024;
/// An idle HTTP connection (no WebSocket) is closed after this.
constexpr std::chrono::seconds http_idle{30};

using request = http::request<http::string_body>;

/// Boost 1.74's Beast speaks boost::string_view.
std::string_view sv(beast::string_view s) noexcept {
  return {s.data(), s.size()};
}

using response = http::response<http::string_body>;

class ws_session;

} // namespace

struct dashboard_server::core {
  dashboard_server_options options;
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{ioc};
  dashboard_sink sink;
  std::thread thread;
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  std::atomic<std::size_t> client_count{0};
  // Touched on the server's thread only.
  uint64_t next_client = 0;
  std::map<uint64_t, std::weak_ptr<ws_session>> clients;

  /// 200 with the page, or why not (401 no token, 403 foreign origin, ...).
  http::status authorize(const request& req, bool websocket_upgrade) const;
  response respond(const request& req) const;
  void accept();
};

namespace {

response plain(const request& req, http::status status, std::string text) {
  response res{status, req.version()};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(text) + "\n";
  res.prepare_payload();
  return res;
}

/// An error answer for a request that could not even be read.
response plain(http::status status, std::string text) {
  request none{http::verb::get, "/", 11};
  none.keep_alive(false);
  return plain(none, status, std::move(text));
}

class ws_session : public std::enable_shared_from_this<ws_session> {
public:
  ws_session(tcp::socket socket, dashboard_server::core* c) : ws_(std::move(socket)), core_(c) {}

  void accept(const request& req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(core_->options.max_message_bytes);
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return;
      self->id_ = ++self->core_->next_client;
      self->core_->clients[self->id_] = self;
      ++self->core_->client_count;
      if (self->core_->sink.opened)
        self->core_->sink.opened(self->id_);
      self->read();
    });
  }

  void send(std::shared_ptr<const std::string> text) {
    if (closing_)
      return;
    if (queue_.size() >= core_->options.max_queued_messages) {
      // A page that reads nothing must not make the server hold everything.
      close(websocket::close_code::policy_error, "too slow: messages not read");
      return;
    }
    queue_.push_back(std::move(text));
    flush();
  }

  void send_frame(std::string key, std::shared_ptr<const std::string> bytes) {
    if (closing_)
      return;
    frames_[std::move(key)] = std::move(bytes);
    flush();
  }

  void close(websocket::close_code code, const char* why) {
    if (closing_)
      return;
    closing_ = true;
    queue_.clear();
    frames_.clear();
    if (writing_)
      return; // closed once the write in flight is done
    ws_.async_close(websocket::close_reason{code, why},
                    [self = shared_from_this()](beast::error_code) {});
  }

private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      // A message over the limit: Beast has sent close code 1009 already.
      gone();
      return;
    }
    if (!ws_.got_text()) {
      send(std::make_shared<const std::string>(
          R"({"type":"error","error":"malformed message: binary messages are not accepted"})"));
    } else if (core_->sink.received) {
      core_->sink.received(id_, beast::buffers_to_string(buffer_.data()));
    }
    buffer_.consume(buffer_.size());
    read();
  }

  void flush() {
    if (writing_)
      return;
    std::shared_ptr<const std::string> next;
    bool binary = false;
    if (!queue_.empty()) {
      next = std::move(queue_.front());
      queue_.pop_front();
    } else if (!frames_.empty()) {
      // Frames take turns: the oldest key waiting goes first.
      auto first = frames_.begin();
      next = std::move(first->second);
      frames_.erase(first);
      binary = true;
    } else {
      if (closing_)
        ws_.async_close(websocket::close_reason{websocket::close_code::policy_error},
                        [self = shared_from_this()](beast::error_code) {});
      return;
    }
    writing_ = true;
    ws_.binary(binary);
    ws_.async_write(net::buffer(*next),
                    [self = shared_from_this(), next](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->closing_ = true;
                        return;
                      }
                      self->flush();
                    });
  }

  void gone() {
    if (id_ == 0 || core_->clients.erase(id_) == 0)
      return;
    --core_->client_count;
    if (core_->sink.closed)
      core_->sink.closed(id_);
  }

  websocket::stream<beast::tcp_stream> ws_;
  dashboard_server::core* core_;
  beast::flat_buffer buffer_;
  uint64_t id_ = 0;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::map<std::string, std::shared_ptr<const std::string>> frames_;
  bool writing_ = false;
  bool closing_ = false;
};

class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket socket, dashboard_server::core* c)
    : stream_(std::move(socket)), core_(c) {}

  void read() {
    parser_.emplace();
    parser_->header_limit(max_header_bytes);
    parser_->body_limit(max_body_bytes);
    stream_.expires_after(http_idle);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      write(plain(http::status::payload_too_large, "dxhub dashboard: request too large"));
      return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec) {
      if (ec && ec != http::error::end_of_stream && ec != beast::error::timeout
          && ec != net::error::operation_aborted && ec != net::error::connection_reset
          && ec != net::error::eof)
        write(plain(http::status::bad_request, "dxhub dashboard: bad request: " + ec.message()));
      else
        close();
      return;
    }
    auto req = parser_->release();
    if (websocket::is_upgrade(req)) {
      auto status = core_->authorize(req, true);
      if (status != http::status::ok) {
        auto res =
            plain(req, status,
                  status == http::status::unauthorized
                      ? "dxhub dashboard: a token is required (open the URL printed at start)"
                  : status == http::status::service_unavailable
                      ? "dxhub dashboard: too many pages open"
                      : "dxhub dashboard: WebSocket from a foreign origin");
        res.keep_alive(false);
        write(std::move(res));
        return;
      }
      stream_.expires_never();
      std::make_shared<ws_session>(stream_.release_socket(), core_)->accept(req);
      return;
    }
    write(core_->respond(req));
  }

  void write(response res) {
    auto held = std::make_shared<response>(std::move(res));
    http::async_write(stream_, *held,
                      [self = shared_from_this(), held](beast::error_code ec, std::size_t) {
                        if (ec || held->need_eof())
                          return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  dashboard_server::core* core_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

} // namespace

http::status dashboard_server::core::authorize(const request& req, bool websocket_upgrade) const {
  auto given =
      token_of(sv(req.target()), sv(req[http::field::authorization]), sv(req[http::field::cookie]));
  if (!token_matches(options.token, given))
    return http::status::unauthorized;
  if (websocket_upgrade) {
    // A page of another site may open a WebSocket to us with the user's
    // cookie; browsers always say where it comes from.
    auto origin = sv(req[http::field::origin]);
    if (!origin.empty() && origin != "http://" + std::string{sv(req[http::field::host])})
      return http::status::forbidden;
    if (client_count.load() >= options.max_clients)
      return http::status::service_unavailable;
  }
  return http::status::ok;
}

response dashboard_server::core::respond(const request& req) const {
  auto status = authorize(req, false);
  if (status != http::status::ok)
    return plain(req, status,
                 "dxhub dashboard: a token is required: open the URL the dashboard printed at "
                 "start (http://HOST:PORT/?token=...)");
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return plain(req, http::status::method_not_allowed, "dxhub dashboard: only GET is served");
  auto path = path_of(sv(req.target()));
  auto asset = find_dashboard_asset(path);
  if (!asset)
    return plain(req, http::status::not_found, "dxhub dashboard: nothing at " + std::string{path});
  response res{http::status::ok, req.version()};
  res.set(http::field::content_type, std::string{asset->content_type});
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Content-Security-Policy",
          "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:");
  auto query_token = token_of(sv(req.target()), {}, {});
  if (!query_token.empty())
    // The page's own files and its WebSocket then carry the token as a cookie.
    res.set(http::field::set_cookie, std::string{dashboard_cookie} + "=" + query_token
                                         + "; Path=/; HttpOnly; SameSite=Strict");
  res.keep_alive(req.keep_alive());
  if (req.method() != http::verb::head)
    res.body() = std::string{asset->body};
  res.prepare_payload();
  return res;
}

void dashboard_server::core::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open())
      return;
    if (!ec)
      std::make_shared<http_session>(std::move(socket), this)->read();
    accept();
  });
}

expected<std::shared_ptr<dashboard_server>>
dashboard_server::open(dashboard_server_options options) {
  if (options.token.empty())
    return error{errc::invalid_argument, "a dashboard needs a token"};
  auto c = std::make_shared<core>();
  c->options = std::move(options);
  beast::error_code ec;
  auto address = net::ip::make_address(c->options.host, ec);
  if (ec)
    return error{errc::invalid_argument,
                 "dashboard address '" + c->options.host + "': " + ec.message()};
  tcp::endpoint where{address, c->options.port};
  auto fail = [&](const char* what) {
    return error{errc::system_error, std::string{"dashboard: cannot "} + what + " "
                                         + c->options.host + ":" + std::to_string(c->options.port)
                                         + ": " + ec.message()};
  };
  if (c->acceptor.open(where.protocol(), ec); ec)
    return fail("open a socket for");
  if (c->acceptor.set_option(net::socket_base::reuse_address(true), ec); ec)
    return fail("set options of");
  if (c->acceptor.bind(where, ec); ec)
    return fail("listen on");
  if (c->acceptor.listen(net::socket_base::max_listen_connections, ec); ec)
    return fail("listen on");
  return std::shared_ptr<dashboard_server>{new dashboard_server{std::move(c)}};
}

dashboard_server::dashboard_server(std::shared_ptr<core> c) : core_(std::move(c)) {}

dashboard_server::~dashboard_server() {
  stop();
}

uint16_t dashboard_server::port() const noexcept {
  beast::error_code ec;
  auto ep = core_->acceptor.local_endpoint(ec);
  return ec ? core_->options.port : ep.port();
}

std::string dashboard_server::url() const {
  auto host = core_->options.host;
  if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port()) + "/?token=" + core_->options.token;
}

void dashboard_server::start(dashboard_sink sink) {
  if (core_->started.exchange(true))
    return;
  core_->sink = std::move(sink);
  core_->accept();
  core_->thread = std::thread{[c = core_.get()] { c->ioc.run(); }};
}

void dashboard_server::stop() {
  if (core_->stopped.exchange(true))
    return;
  if (core_->thread.joinable()) {
    net::post(core_->ioc, [c = core_.get()] {
      beast::error_code ignored;
      c->acceptor.close(ignored);
      c->sink = {};
      for (auto& [id, weak] : c->clients)
        if (auto s = weak.lock())
          s->close(websocket::close_code::going_away, "dashboard stopped");
      c->work.reset();
    });
    // Pages get their close frames if they answer soon; then the thread ends.
    std::thread stopper{[c = core_.get()] {
      std::this_thread::sleep_for(std::chrono::milliseconds{200});
      c->ioc.stop();
    }};
    core_->thread.join();
    stopper.join();
  }
}

void dashboard_server::send_text(uint64_t client, std::string text) {
  auto shared = std::make_shared<const std::string>(std::move(text));
  net::post(core_->ioc, [c = core_.get(), client, shared] {
    for (auto& [id, weak] : c->clients)
      if (client == 0 || id == client)
        if (auto s = weak.lock())
          s->send(shared);
  });
}

void dashboard_server::send_frame(uint64_t client, std::string key,
                                  const std::shared_ptr<const std::string>& bytes) {
  net::post(core_->ioc, [c = core_.get(), client, key = std::move(key), bytes] {
    auto found = c->clients.find(client);
    if (found != c->clients.end())
      if (auto s = found->second.lock())
        s->send_frame(key, bytes);
  });
}

std::size_t dashboard_server::clients() const noexcept {
  return core_->client_count.load();
}

} // namespace dxhub::actors::detail
