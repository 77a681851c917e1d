#include "dxhub/transports/zmq/puller.hpp"

#include "dxhub/transports/zmq/detail/socket_ops.hpp"

namespace dxhub::zmq {

namespace detail {

struct puller_core {
  puller_core(io_loop& l, work_handler h, socket_options o)
    : loop(l), socket(l.context(), ZMQ_PULL), handler(std::move(h)), options(std::move(o)) {}

  void serve() {
    for (int i = 0; i < options.limits.batch; ++i) {
      auto msg = receive_message(socket, options, stats);
      if (!msg)
        return;
      if (*msg)
        handler(std::move(*msg).value());
    }
  }

  io_loop& loop;
  ::zmq::socket_t socket;
  work_handler handler;
  socket_options options;
  counters stats;
  opened where;
};

} // namespace detail

expected<std::unique_ptr<puller>> puller::bind(io_loop& loop, std::string_view endpoint,
                                               work_handler handler, socket_options options) {
  return open(loop, endpoint, true, std::move(handler), std::move(options));
}

expected<std::unique_ptr<puller>> puller::connect(io_loop& loop, std::string_view endpoint,
                                                  work_handler handler, socket_options options) {
  return open(loop, endpoint, false, std::move(handler), std::move(options));
}

expected<std::unique_ptr<puller>> puller::open(io_loop& loop, std::string_view endpoint, bool bind,
                                               work_handler handler, socket_options options) {
  auto core = std::make_shared<detail::puller_core>(loop, std::move(handler), std::move(options));
  auto* raw = core.get();
  auto opened = detail::open_served(loop, core->socket, endpoint, bind, core->options, core->stats,
                                    core->where, [raw] { raw->serve(); });
  if (!opened)
    return opened.error();
  return std::unique_ptr<puller>{new puller{std::move(core)}};
}

puller::~puller() {
  detail::close_served(core_->loop, core_->socket, core_->where);
}

const std::string& puller::endpoint() const noexcept {
  return core_->where.endpoint;
}

const counters& puller::stats() const noexcept {
  return core_->stats;
}

} // namespace dxhub::zmq
