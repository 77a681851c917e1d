#include "dxhub/transports/zmq/client.hpp"

#include "dxhub/schemas/clock.hpp"
#include "dxhub/transports/zmq/detail/socket_ops.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <zmq.h>

#include <future>
#include <unordered_map>

namespace dxhub::zmq {

namespace detail {

struct client_core {
  client_core(io_loop& l, client_options o)
    : loop(l), socket(l.context(), ZMQ_DEALER), monitor(l.context(), ZMQ_PAIR),
      options(std::move(o)) {}

  struct waiting {
    reply_handler done;
    io_loop::timer_id timer = 0;
  };

  expected<void> open(std::string_view endpoint);
  void start(uint64_t id, std::vector<::zmq::message_t> frames, std::chrono::milliseconds timeout,
             reply_handler done);
  void finish(uint64_t id, expected<wire_message> result);
  void fail_all(const error& reason);
  void serve();
  void serve_monitor();
  void close();

  io_loop& loop;
  ::zmq::socket_t socket;
  ::zmq::socket_t monitor;
  client_options options;
  counters stats;
  outbox out;
  opened where;
  std::unordered_map<uint64_t, waiting> pending;
  std::atomic<std::size_t> pending_count{0};
  std::atomic<uint64_t> next_id{1};
  bool closed = false;
  /// Set when the connection drops, cleared by the next handshake: meanwhile
  /// a request fails at once (peer_down) instead of waiting in libzmq's queue
  /// for a server that may never come back (a host that went away).
  bool down = false;
};

expected<void> client_core::open(std::string_view endpoint) {
  try {
    socket.set(::zmq::sockopt::heartbeat_ivl, static_cast<int>(options.heartbeat_interval.count()));
    socket.set(::zmq::sockopt::heartbeat_timeout,
               static_cast<int>(options.heartbeat_timeout.count()));
    socket.set(::zmq::sockopt::heartbeat_ttl, static_cast<int>(options.heartbeat_timeout.count()));
    // Connection events tell us early that the server is gone or refused us.
    auto monitor_endpoint =
        "inproc://dxhub-client-monitor-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    if (zmq_socket_monitor(socket.handle(), monitor_endpoint.c_str(),
                           ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                               | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        != 0)
      return error{errc::system_error, "zmq_socket_monitor failed"};
    monitor.set(::zmq::sockopt::linger, 0);
    monitor.connect(monitor_endpoint);
  } catch (const ::zmq::error_t& e) {
    return error{errc::system_error, std::string{"client setup: "} + e.what()};
  }
  DXHUB_TRY(result, open_socket(loop, socket, endpoint, false, options, stats));
  where = std::move(result);
  loop.add_socket(
      socket, [this] { serve(); }, [this] { out.flush(loop, socket, stats); });
  loop.add_socket(monitor, [this] { serve_monitor(); });
  return ok();
}

void client_core::start(uint64_t id, std::vector<::zmq::message_t> frames,
                        std::chrono::milliseconds timeout, reply_handler done) {
  if (closed)
    return; // the client is being destroyed: pending requests are dropped without a call
  if (down) {
    done(error{errc::peer_down, "server " + where.endpoint + " is disconnected"});
    return;
  }
  auto timer = loop.schedule_after(timeout, [this, id, timeout] {
    finish(id, error{errc::timeout, "no reply within " + std::to_string(timeout.count()) + " ms"});
  });
  pending.emplace(id, waiting{std::move(done), timer});
  out.send(loop, socket, std::move(frames), stats);
}

void client_core::finish(uint64_t id, expected<wire_message> result) {
  auto it = pending.find(id);
  if (it == pending.end())
    return;
  auto done = std::move(it->second.done);
  loop.cancel(it->second.timer);
  pending.erase(it);
  pending_count.store(pending.size(), std::memory_order_relaxed);
  done(std::move(result));
}

void client_core::fail_all(const error& reason) {
  auto failing = std::move(pending);
  pending.clear();
  pending_count.store(0, std::memory_order_relaxed);
  for (auto& [id, w] : failing) {
    loop.cancel(w.timer);
    w.done(reason);
  }
}

void client_core::serve() {
  for (int i = 0; i < options.limits.batch; ++i) {
    auto received = receive_message(socket, options, stats);
    if (!received)
      return;
    if (!*received)
      continue;
    auto& msg = *received;
    auto kind = msg.value().header.kind;
    auto id = msg.value().header.correlation;
    if (kind != message_kind::reply && kind != message_kind::error) {
      reject(stats, options,
             error{errc::malformed_message,
                   "a client takes replies, got a " + std::string{name(kind)}});
      continue;
    }
    if (!pending.contains(id)) {
      reject(stats, options,
             error{errc::timeout, "reply " + std::to_string(id) + " matches no waiting request"});
      continue;
    }
    if (kind == message_kind::error)
      finish(id, error_from_reply(msg.value()));
    else
      finish(id, std::move(msg).value());
  }
}

void client_core::serve_monitor() {
  for (;;) {
    std::vector<::zmq::message_t> frames;
    if (receive_frames(monitor, frames, 4) == receive_status::nothing)
      return;
    if (frames.empty() || frames[0].size() < 6)
      continue;
    uint16_t event = 0;
    std::memcpy(&event, frames[0].data(), sizeof event);
    if (event == ZMQ_EVENT_DISCONNECTED) {
      down = true;
      fail_all(error{errc::peer_down, "server " + where.endpoint + " disconnected"});
    } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      down = false;
    } else {
      fail_all(error{errc::unauthenticated, "server " + where.endpoint + " refused the handshake"});
    }
  }
}

void client_core::close() {
  closed = true;
  for (auto& [id, w] : pending)
    loop.cancel(w.timer); // timers refer to this core, which is about to go
  pending.clear();
  loop.remove_socket(monitor);
  zmq_socket_monitor(socket.handle(), nullptr, 0);
  monitor.close();
  close_socket(loop, socket, where.zap_domain);
}

} // namespace detail

error error_from_reply(const wire_message& msg) {
  auto answer = decode_payload<dxhub::reply>(msg.bytes(), msg.header.encoding);
  if (!answer)
    return error{errc::service_error, "undecodable error reply: " + answer.error().what()};
  auto code = answer.value().code == errc::none ? errc::service_error : answer.value().code;
  return error{code, answer.value().error_context};
}

expected<std::unique_ptr<client>> client::connect(io_loop& loop, std::string_view endpoint,
                                                  client_options options) {
  auto core = std::make_shared<detail::client_core>(loop, std::move(options));
  auto opened = loop.call([&] { return core->open(endpoint); });
  if (!opened)
    return opened.error();
  return std::unique_ptr<client>{new client{std::move(core)}};
}

client::~client() {
  core_->loop.call([this] { core_->close(); });
}

uint64_t client::request(envelope_header header, ::zmq::message_t payload,
                         std::chrono::milliseconds timeout, reply_handler done) {
  auto id = core_->next_id.fetch_add(1, std::memory_order_relaxed);
  header.kind = message_kind::request;
  header.correlation = id;
  header.timestamp_ns = wall_ns();
  header.payload_size = static_cast<uint32_t>(payload.size());
  auto frames = std::make_shared<std::vector<::zmq::message_t>>();
  frames->push_back(encode_header(header));
  frames->push_back(std::move(payload));
  auto core = core_;
  auto task = [core, id, frames, timeout, done = std::move(done)]() mutable {
    core->start(id, std::move(*frames), timeout, std::move(done));
    core->pending_count.store(core->pending.size(), std::memory_order_relaxed);
  };
  core_->loop.dispatch(std::move(task));
  return id;
}

expected<wire_message> client::request_sync(envelope_header header, ::zmq::message_t payload,
                                            std::chrono::milliseconds timeout) {
  if (core_->loop.in_loop() || core_->loop.on_loop_thread())
    return error{errc::invalid_argument, "request_sync would block the loop thread"};
  auto result = std::make_shared<std::promise<expected<wire_message>>>();
  auto answer = result->get_future();
  request(std::move(header), std::move(payload), timeout,
          [result](expected<wire_message> r) { result->set_value(std::move(r)); });
  return answer.get();
}

const counters& client::stats() const noexcept {
  return core_->stats;
}

std::size_t client::pending() const noexcept {
  return core_->pending_count.load(std::memory_order_relaxed);
}

} // namespace dxhub::zmq
