#include "dxhub/transports/zmq/publisher.hpp"

#include "dxhub/schemas/clock.hpp"
#include "dxhub/transports/zmq/detail/socket_ops.hpp"

#include <condition_variable>
#include <set>

namespace dxhub::zmq {

namespace detail {

struct publisher_core {
  publisher_core(io_loop& l, socket_options o)
    : loop(l), socket(l.context(), ZMQ_XPUB), options(std::move(o)) {}

  // Subscription messages: [1 or 0][prefix].
  void serve() {
    for (int i = 0; i < options.limits.batch; ++i) {
      ::zmq::message_t note;
      if (!socket.recv(note, ::zmq::recv_flags::dontwait))
        return;
      if (note.size() == 0)
        continue;
      auto first = *static_cast<const uint8_t*>(note.data());
      std::string prefix{static_cast<const char*>(note.data()) + 1, note.size() - 1};
      std::lock_guard<std::mutex> guard{mutex};
      // XPUB (verbose) passes every subscribe, and an unsubscribe only when
      // the last subscriber of the prefix left: a set of prefixes is exact.
      if (prefix.starts_with(json_topic_prefix)) {
        if (first == 1)
          json_prefixes.insert(prefix);
        else if (first == 0)
          json_prefixes.erase(prefix);
        any_json.store(!json_prefixes.empty(), std::memory_order_release);
      }
      auto now = subscriptions.load(std::memory_order_relaxed);
      if (first == 1)
        subscriptions.store(now + 1, std::memory_order_release);
      else if (first == 0 && now > 0)
        subscriptions.store(now - 1, std::memory_order_release);
      changed.notify_all();
    }
  }

  io_loop& loop;
  ::zmq::socket_t socket;
  socket_options options;
  counters stats;
  opened where;
  std::atomic<uint64_t> sequence{0};
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  // Written under `mutex` (for `changed`), read without it: publishers
  // check it on every frame.
  std::atomic<int> subscriptions{0};
  // The "json:..." prefixes subscribed to (under `mutex`), and whether there
  // are any (read without it on every publish).
  std::set<std::string> json_prefixes;
  std::atomic<bool> any_json{false};
};

} // namespace detail

expected<std::unique_ptr<publisher>> publisher::bind(io_loop& loop, std::string_view endpoint,
                                                     socket_options options) {
  auto core = std::make_shared<detail::publisher_core>(loop, std::move(options));
  auto* raw = core.get();
  auto opened = detail::open_served(
      loop, core->socket, endpoint, true, core->options, core->stats, core->where,
      [raw] { raw->serve(); }, {}, [raw] { raw->socket.set(::zmq::sockopt::xpub_verbose, 1); });
  if (!opened)
    return opened.error();
  return std::unique_ptr<publisher>{new publisher{std::move(core)}};
}

publisher::~publisher() {
  detail::close_served(core_->loop, core_->socket, core_->where);
}

uint64_t publisher::publish(std::string topic, envelope_header header, ::zmq::message_t payload) {
  auto sequence = core_->sequence.fetch_add(1, std::memory_order_relaxed);
  send(sequence, std::move(topic), std::move(header), std::move(payload));
  return sequence;
}

std::string publisher::json_copy_topic(const std::string& topic) const {
  if (!core_->any_json.load(std::memory_order_acquire)
      || topic.size() + json_topic_prefix.size() > core_->options.limits.max_topic)
    return {};
  auto copy = std::string{json_topic_prefix} + topic;
  std::lock_guard<std::mutex> guard{core_->mutex};
  for (const auto& prefix : core_->json_prefixes)
    if (copy.starts_with(prefix))
      return copy;
  return {};
}

std::vector<std::string> publisher::json_subscriptions() const {
  std::lock_guard<std::mutex> guard{core_->mutex};
  return {core_->json_prefixes.begin(), core_->json_prefixes.end()};
}

void publisher::send(uint64_t sequence, std::string topic, envelope_header header,
                     ::zmq::message_t payload) {
  if (header.kind == message_kind::request)
    header.kind = message_kind::event;
  header.correlation = sequence;
  header.timestamp_ns = wall_ns();
  header.payload_size = static_cast<uint32_t>(payload.size());
  auto frames = std::make_shared<std::vector<::zmq::message_t>>();
  frames->emplace_back(topic.data(), topic.size());
  frames->push_back(encode_header(header));
  frames->push_back(std::move(payload));
  auto core = core_;
  auto deliver = [core, frames] {
    auto bytes = detail::total_size(*frames);
    core->loop.touch(core->socket);
    try {
      // PUB never blocks: a full subscriber queue drops the message.
      for (std::size_t i = 0; i < frames->size(); ++i)
        (void)core->socket.send((*frames)[i], i + 1 < frames->size() ? ::zmq::send_flags::sndmore
                                                                     : ::zmq::send_flags::none);
      core->stats.count_out(bytes);
    } catch (const ::zmq::error_t&) {
      // A closed socket (publisher going away): nothing to publish to.
    }
  };
  core_->loop.dispatch(std::move(deliver));
}

int publisher::subscriptions() const noexcept {
  return core_->subscriptions.load(std::memory_order_acquire);
}

bool publisher::wait_for_subscriptions(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{core_->mutex};
  return core_->changed.wait_for(lock, timeout,
                                 [&] { return core_->subscriptions.load() >= count; });
}

const std::string& publisher::endpoint() const noexcept {
  return core_->where.endpoint;
}

const counters& publisher::stats() const noexcept {
  return core_->stats;
}

} // namespace dxhub::zmq
