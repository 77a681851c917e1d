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
      // JSON copies are for those who asked for them: a subscription to ""
      // matches "json:..." topics too.
      if (json_prefixes == 0 && topic.starts_with(json_topic_prefix))
        continue;
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
  // Loop thread: subscriptions in the "json:" namespace (json_topic_prefix).
  int json_prefixes = 0;

  void subscribe(const std::string& prefix, bool on) {
    if (on)
      socket.set(::zmq::sockopt::subscribe, prefix);
    else
      socket.set(::zmq::sockopt::unsubscribe, prefix);
    if (prefix.starts_with(json_topic_prefix))
      json_prefixes += on ? 1 : -1;
  }
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
          raw->subscribe(prefix, true);
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
      core->subscribe(prefix, true);
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
      core->subscribe(prefix, false);
    } catch (const ::zmq::error_t&) {
      // The subscriber is going away.
    }
  });
}

const counters& subscriber::stats() const noexcept {
  return core_->stats;
}

} // namespace dxhub::zmq
