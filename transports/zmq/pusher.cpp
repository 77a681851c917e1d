#include "dxhub/transports/zmq/pusher.hpp"

#include "dxhub/schemas/clock.hpp"
#include "dxhub/transports/zmq/detail/socket_ops.hpp"

namespace dxhub::zmq {

namespace detail {

struct pusher_core {
  pusher_core(io_loop& l, socket_options o)
    : loop(l), socket(l.context(), ZMQ_PUSH), options(std::move(o)) {}

  void send(std::vector<::zmq::message_t> frames) {
    if (closed)
      return;
    out.send(loop, socket, std::move(frames), stats);
    waiting.store(out.size(), std::memory_order_relaxed);
  }

  void flush() {
    out.flush(loop, socket, stats);
    waiting.store(out.size(), std::memory_order_relaxed);
  }

  io_loop& loop;
  ::zmq::socket_t socket;
  socket_options options;
  counters stats;
  outbox out;
  opened where;
  std::atomic<uint64_t> sequence{0};
  std::atomic<std::size_t> waiting{0};
  bool closed = false;
};

} // namespace detail

expected<std::unique_ptr<pusher>> pusher::bind(io_loop& loop, std::string_view endpoint,
                                               socket_options options) {
  return open(loop, endpoint, true, std::move(options));
}

expected<std::unique_ptr<pusher>> pusher::connect(io_loop& loop, std::string_view endpoint,
                                                  socket_options options) {
  return open(loop, endpoint, false, std::move(options));
}

expected<std::unique_ptr<pusher>> pusher::open(io_loop& loop, std::string_view endpoint, bool bind,
                                               socket_options options) {
  auto core = std::make_shared<detail::pusher_core>(loop, std::move(options));
  auto* raw = core.get();
  // PUSH takes no input; only writability matters.
  auto opened = detail::open_served(
      loop, core->socket, endpoint, bind, core->options, core->stats, core->where, [] {},
      [raw] { raw->flush(); });
  if (!opened)
    return opened.error();
  return std::unique_ptr<pusher>{new pusher{std::move(core)}};
}

pusher::~pusher() {
  detail::close_served(core_->loop, core_->socket, core_->where, [this] { core_->closed = true; });
}

uint64_t pusher::push(envelope_header header, ::zmq::message_t payload) {
  auto sequence = core_->sequence.fetch_add(1, std::memory_order_relaxed);
  if (header.kind == message_kind::request)
    header.kind = message_kind::work;
  header.correlation = sequence;
  header.timestamp_ns = wall_ns();
  header.payload_size = static_cast<uint32_t>(payload.size());
  auto frames = std::make_shared<std::vector<::zmq::message_t>>();
  frames->push_back(encode_header(header));
  frames->push_back(std::move(payload));
  auto core = core_;
  auto send = [core, frames] { core->send(std::move(*frames)); };
  if (core_->loop.in_loop())
    send();
  else
    core_->loop.post(std::move(send));
  return sequence;
}

std::size_t pusher::waiting() const noexcept {
  return core_->waiting.load(std::memory_order_relaxed);
}

const std::string& pusher::endpoint() const noexcept {
  return core_->where.endpoint;
}

const counters& pusher::stats() const noexcept {
  return core_->stats;
}

} // namespace dxhub::zmq
