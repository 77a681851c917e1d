#include "dxhub/transports/zmq/subscriber.hpp"

#include "dxhub/transports/zmq/detail/socket_ops.hpp"

namespace dxhub::zmq {

namespace detail {

struct subscriber_core {
  subscriber_core(io_loop& l, topic_handler h, socket_options o)
    : loop(l), socket(l.context(), ZMQ_SUB), handler(std::move(h)), options(std::move(o)) {}

  void serve() {
    std::vector<::zmq::message_t> frames;
    for (int i = 0; i < options.limits.batch; ++i) {
      auto status = receive_frames(socket, frames, options.limits.max_frames + 1);
      if (status == receive_status::nothing)
        return;
      stats.count_in(total_size(frames));
      if (status == receive_status::too_many_frames || frames.size() < 2) {
        reject(stats, options,
               error{errc::malformed_message, "a published message is "
                                              "[topic][header][payload]"});
        continue;
      }
      if (frames[0].size() > options.limits.max_topic) {
        reject(stats, options, error{errc::malformed_message, "topic too long"});
        continue;
      }
      auto topic = frames[0].to_string();
      frames.erase(frames.begin());
      auto msg = decode_message(frames, options.limits);
      if (!msg) {
        reject(stats, options, msg.error());
        continue;
      }
      handler(topic, std::move(msg).value());
    }
  }

  io_loop& loop;
  ::zmq::socket_t socket;
  topic_handler handler;
  socket_options options;
  counters stats;
  opened where;
};

} // namespace detail

expected<std::unique_ptr<subscriber>> subscriber::connect(io_loop& loop, std::string_view endpoint,
                                                          std::vector<std::string> prefixes,
                                                          topic_handler handler,
                                                          socket_options options) {
  auto core =
      std::make_shared<detail::subscriber_core>(loop, std::move(handler), std::move(options));
  auto* raw = core.get();
  auto opened = detail::open_served(
      loop, core->socket, endpoint, false, core->options, core->stats, core->where,
      [raw] { raw->serve(); }, {},
      [&] {
        for (const auto& prefix : prefixes)
          raw->socket.set(::zmq::sockopt::subscribe, prefix);
      });
  if (!opened)
    return opened.error();
  return std::unique_ptr<subscriber>{new subscriber{std::move(core)}};
}

subscriber::~subscriber() {
  detail::close_served(core_->loop, core_->socket, core_->where);
}

void subscriber::subscribe(std::string prefix) {
  auto core = core_;
  core_->loop.post([core, prefix] {
    try {
      core->loop.touch(core->socket);
      core->socket.set(::zmq::sockopt::subscribe, prefix);
    } catch (const ::zmq::error_t&) {
      // The subscriber is going away.
    }
  });
}

void subscriber::unsubscribe(std::string prefix) {
  auto core = core_;
  core_->loop.post([core, prefix] {
    try {
      core->loop.touch(core->socket);
      core->socket.set(::zmq::sockopt::unsubscribe, prefix);
    } catch (const ::zmq::error_t&) {
      // The subscriber is going away.
    }
  });
}

const counters& subscriber::stats() const noexcept {
  return core_->stats;
}

} // namespace dxhub::zmq
