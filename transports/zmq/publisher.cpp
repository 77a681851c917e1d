#include "dxhub/transports/zmq/publisher.hpp"

#include "dxhub/schemas/clock.hpp"
#include "dxhub/transports/zmq/detail/socket_ops.hpp"
#include "dxhub/transports/zmq/detail/zap_handler.hpp"

#include <zmq.h>

#include <cerrno>
#include <condition_variable>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace dxhub::zmq {

namespace detail {

namespace {

// Subscriptions waiting in one connection's pipe before libzmq stops reading
// the connection (the XPUB's ZMQ_RCVHWM). libzmq moves a connection's whole
// pipe into its trie (and its queue of notifications) whenever the socket
// processes its commands, which a receive does every 100 messages: with a
// deep pipe the trie would run far ahead of what `serve` has seen (with 1024,
// 50 000 subscriptions arrived after the cap was hit). Subscriptions are
// small and rare, so a short pipe costs nothing else.
constexpr int subscription_queue = 16;

/// The CURVE key of the connection a subscription came from ("" without
/// CURVE): libzmq 4.3 attaches the connection's metadata to the
/// subscriptions an XPUB hands over, but not to the unsubscriptions it makes
/// up when a connection ends.
std::string user_id(::zmq::message_t& note) {
  const char* id = zmq_msg_gets(note.handle(), "User-Id");
  return id != nullptr ? std::string{id} : std::string{};
}

} // namespace

struct publisher_core {
  publisher_core(io_loop& l, socket_options o)
    : loop(l), socket(l.context(), ZMQ_XPUB), options(std::move(o)) {}

  // libzmq's XPUB (not verbose) reports a topic's first subscription as
  // [1][topic] and its last unsubscription as [0][topic]; repeated
  // subscriptions to a held topic are not reported. It also reports [0][topic]
  // for an unsubscription of a topic the sender never held: `topics` ignores
  // those for topics nobody holds, and `added` bounds the rest.
  //
  // libzmq applies a subscription to its trie when it reads it from the
  // connection, before the notification reaches `serve`: the notifications
  // are read as they come (up to `drain` at a time, then the loop serves the
  // other sockets and comes back), so that the trie is at most one queue of
  // each connection (`subscription_queue`) ahead of `topics`.
  void serve() {
    const auto drain = 16 * options.limits.batch;
    for (int i = 0; i < drain; ++i) {
      ::zmq::message_t note;
      if (!socket.recv(note, ::zmq::recv_flags::dontwait))
        break;
      if (note.size() == 0)
        continue;
      const auto* data = static_cast<const char*>(note.data());
      std::string topic{data + 1, note.size() - 1};
      if (data[0] == 1) {
        auto key = where.zap_domain.empty() ? std::string{} : user_id(note);
        bool fresh = topics.insert(topic).second;
        if (fresh) {
          bytes += topic.size();
          ++added;
          added_bytes += topic.size();
          note_json(topic, true);
          charge(topic, key);
        }
        if (!key.empty() && client_beyond_cap(key)) {
          refused.fetch_add(1, std::memory_order_relaxed);
          // A banned key's connection is gone already: what it sent before
          // is still being read, and costs nobody else their connection.
          if (!loop.zap().banned(where.zap_domain, key))
            ban(key);
        } else if (beyond_cap()) {
          refused.fetch_add(1, std::memory_order_relaxed);
          if (!draining || beyond_cap_since_reset())
            drop_subscribers();
        }
      } else if (data[0] == 0 && topics.erase(topic) > 0) {
        bytes -= topic.size();
        note_json(topic, false);
        uncharge(topic);
      }
      if (draining && !beyond_cap())
        draining = false;
    }
    {
      std::lock_guard<std::mutex> guard{mutex};
      subscriptions->store(static_cast<int>(topics.size()), std::memory_order_release);
    }
    changed.notify_all();
  }

  // A "json:..." prefix subscribed or left: publishers send JSON copies
  // while one covers the topic (`publisher::json_copy_topic`).
  void note_json(const std::string& topic, bool subscribed) {
    if (!topic.starts_with(json_topic_prefix))
      return;
    std::lock_guard<std::mutex> guard{mutex};
    if (subscribed)
      json_prefixes.insert(topic);
    else
      json_prefixes.erase(topic);
    any_json.store(!json_prefixes.empty(), std::memory_order_release);
  }

  // The topic counts for the key whose subscription brought it here, until
  // nobody holds it (libzmq reports only a topic's first subscription and
  // its end).
  void charge(const std::string& topic, const std::string& key) {
    if (key.empty())
      return;
    charged.emplace(topic, key);
    auto& use = per_client[key];
    ++use.topics;
    use.bytes += topic.size();
  }

  void uncharge(const std::string& topic) {
    auto it = charged.find(topic);
    if (it == charged.end())
      return;
    auto use = per_client.find(it->second);
    if (use != per_client.end()) {
      --use->second.topics;
      use->second.bytes -= topic.size();
      if (use->second.topics == 0)
        per_client.erase(use);
    }
    charged.erase(it);
  }

  bool client_beyond_cap(const std::string& key) const {
    auto use = per_client.find(key);
    const auto& l = options.limits;
    return use != per_client.end()
           && (use->second.topics > l.max_subscriptions_per_client
               || use->second.bytes > l.max_subscription_bytes_per_client);
  }

  // Refuses `key` at the handshake for a while, then drops every connection
  // (libzmq cannot drop one): the others come back, the offender cannot.
  void ban(const std::string& key) {
    const auto& l = options.limits;
    const auto& use = per_client[key];
    loop.zap().ban(where.zap_domain, key, std::chrono::steady_clock::now() + l.subscription_ban);
    bans.fetch_add(1, std::memory_order_relaxed);
    reject(stats, options,
           error{errc::subscribers_full,
                 "publisher " + where.endpoint + ": CURVE key " + key + " holds "
                     + std::to_string(use.topics) + " topics of " + std::to_string(use.bytes)
                     + " bytes, beyond the per-client cap ("
                     + std::to_string(l.max_subscriptions_per_client) + " topics, "
                     + std::to_string(l.max_subscription_bytes_per_client)
                     + " bytes); the key is refused for "
                     + std::to_string(l.subscription_ban.count())
                     + " ms and every subscriber connection is dropped (the others "
                       "subscribe again)"});
    drop_subscribers(false);
  }

  bool beyond_cap() const noexcept {
    const auto& l = options.limits;
    return topics.size() > l.max_subscriptions || bytes > l.max_subscription_bytes
           || added > l.subscription_churn_factor * l.max_subscriptions
           || added_bytes > l.subscription_churn_factor * l.max_subscription_bytes;
  }

  // While the dropped connections' subscriptions are being removed (libzmq
  // reports their topics as it does), `topics` stays beyond the cap: only
  // as many new topics again as the cap allows make the publisher drop its
  // connections once more.
  bool beyond_cap_since_reset() const noexcept {
    const auto& l = options.limits;
    return added > l.max_subscriptions || added_bytes > l.max_subscription_bytes;
  }

  // Unbinding ends every connection accepted on the endpoint: libzmq then
  // removes their subscriptions (and reports the topics nobody holds any
  // more, which `serve` takes out of `topics`). Binding again at once lets the
  // subscribers reconnect.
  void drop_subscribers(bool report = true) {
    draining = true;
    resets.fetch_add(1, std::memory_order_relaxed);
    const auto& l = options.limits;
    if (report)
      reject(
          stats, options,
          error{errc::subscribers_full,
                "publisher " + where.endpoint + ": subscriptions beyond the cap ("
                    + std::to_string(topics.size()) + " topics of " + std::to_string(bytes)
                    + " bytes held, " + std::to_string(added)
                    + " added since the last reset; limits: " + std::to_string(l.max_subscriptions)
                    + " topics, " + std::to_string(l.max_subscription_bytes)
                    + " bytes); every subscriber connection is dropped and must subscribe "
                      "again"});
    added = 0;
    added_bytes = 0;
    try {
      socket.unbind(where.endpoint);
    } catch (const ::zmq::error_t&) {
      // Not bound (an earlier rebind failed): bind below.
    }
    rebind();
  }

  // The old listener closes on libzmq's I/O thread: until it has, a tcp port
  // (or an abstract ipc name) is still taken. An ipc socket file is replaced
  // at once (libzmq deletes it before binding; the old listener's socket
  // can no longer be reached by its name).
  void rebind() {
    using namespace std::chrono_literals;
    auto deadline = std::chrono::steady_clock::now() + 2s;
    for (;;) {
      try {
        socket.bind(where.endpoint);
        return;
      } catch (const ::zmq::error_t& e) {
        if (e.num() != EADDRINUSE || std::chrono::steady_clock::now() >= deadline) {
          reject(stats, options,
                 error{errc::system_error, "publisher " + where.endpoint
                                               + ": binding again after dropping the "
                                                 "subscribers failed: "
                                               + e.what()});
          return;
        }
      }
      std::this_thread::sleep_for(1ms);
    }
  }

  io_loop& loop;
  ::zmq::socket_t socket;
  socket_options options;
  counters stats;
  opened where;
  std::atomic<uint64_t> sequence{0};
  // Loop thread only.
  std::unordered_set<std::string> topics;
  std::size_t bytes = 0;
  std::size_t added = 0;
  std::size_t added_bytes = 0;
  bool draining = false;
  struct client_use {
    std::size_t topics = 0;
    std::size_t bytes = 0;
  };
  // Topic -> the CURVE key it counts for; what each key holds.
  std::unordered_map<std::string, std::string> charged;
  std::unordered_map<std::string, client_use> per_client;
  std::atomic<uint64_t> bans{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> resets{0};
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  // Written under `mutex` (for `changed`), read without it: publishers
  // check it on every frame. Its own allocation, so that a reader that
  // outlives the publisher (`subscription_count`) keeps no socket alive.
  std::shared_ptr<std::atomic<int>> subscriptions = std::make_shared<std::atomic<int>>(0);
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
      [raw] { raw->serve(); }, {},
      [raw] {
        raw->socket.set(::zmq::sockopt::maxmsgsize, raw->options.limits.subscription_max_frame());
        raw->socket.set(::zmq::sockopt::rcvhwm, detail::subscription_queue);
      });
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
  return core_->subscriptions->load(std::memory_order_acquire);
}

std::shared_ptr<const std::atomic<int>> publisher::subscription_count() const {
  return core_->subscriptions;
}

uint64_t publisher::refused_subscriptions() const noexcept {
  return core_->refused.load(std::memory_order_relaxed);
}

uint64_t publisher::subscription_resets() const noexcept {
  return core_->resets.load(std::memory_order_relaxed);
}

uint64_t publisher::banned_clients() const noexcept {
  return core_->bans.load(std::memory_order_relaxed);
}

bool publisher::wait_for_subscriptions(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{core_->mutex};
  return core_->changed.wait_for(lock, timeout,
                                 [&] { return core_->subscriptions->load() >= count; });
}

const std::string& publisher::endpoint() const noexcept {
  return core_->where.endpoint;
}

const counters& publisher::stats() const noexcept {
  return core_->stats;
}

} // namespace dxhub::zmq
