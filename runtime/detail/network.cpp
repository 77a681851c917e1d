#include "dxhub/runtime/detail/network.hpp"

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/zmq/client.hpp"
#include "dxhub/transports/zmq/frame_message.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <caf/send.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace dxhub::runtime::detail {

namespace {

using namespace std::chrono_literals;

/// Makes the directory of an ipc endpoint (owner only) if it is missing.
void prepare_ipc_dir(const std::string& endpoint) {
  constexpr std::string_view scheme = "ipc://";
  if (endpoint.rfind(scheme, 0) != 0)
    return;
  auto dir = std::filesystem::path{endpoint.substr(scheme.size())}.parent_path();
  std::error_code ignored;
  if (!dir.empty() && std::filesystem::create_directories(dir, ignored))
    ::chmod(dir.c_str(), 0700);
}

/// The ipc or tcp endpoint of the event relay next to a node endpoint.
std::string relay_endpoint_for(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0)
    return endpoint + ".events";
  auto colon = endpoint.rfind(':');
  return endpoint.substr(0, colon) + ":0"; // tcp: any free port on the same address
}

/// The frames endpoint next to a node endpoint: ipc beside it; tcp on the
/// next port (any free one when the node's port is chosen by the system).
std::string frames_endpoint_for(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0)
    return endpoint + ".frames";
  auto colon = endpoint.rfind(':');
  auto port = std::strtoul(endpoint.c_str() + colon + 1, nullptr, 10);
  return endpoint.substr(0, colon) + ":" + (port == 0 ? "0" : std::to_string(port + 1));
}

std::string source_node(const std::string& source) {
  return source.substr(0, source.find('/'));
}

} // namespace

network::network(node_parts& n, command_handler serve)
  : node_(n), serve_(std::move(serve)), name_(n.name()), registry_(n.options.registry),
    endpoint_(n.options.endpoint), loop_(std::make_unique<zmq::io_loop>()) {}

network::~network() {
  stop();
}

void network::stop() {
  if (closed_.exchange(true))
    return;
  // The loop itself lives until the node is gone: actors still running may
  // post to it, and it drops their work once stopped.
  loop_->call([this] {
    events_.reset();
    relay_.reset();
    watches_.clear();
    clients_.clear();
    server_.reset();
  });
  loop_->stop();
}

expected<std::unique_ptr<network>> network::start(node_parts& n, command_handler serve) {
  std::unique_ptr<network> net{new network(n, std::move(serve))};
  DXHUB_TRY(keys, node_keys::load(n.options, net->name_, net->endpoint_));
  net->keys_ = std::move(keys);
  DXHUB_TRYV(net->bind());
  return net;
}

expected<void> network::bind() {
  prepare_ipc_dir(endpoint_);
  return loop_->call([this]() -> expected<void> {
    auto handler = [this](zmq::request req, zmq::responder answer) {
      on_request(std::move(req), std::move(answer));
    };
    zmq::server_options served;
    static_cast<zmq::socket_options&>(served) = keys_.listening_options();
    DXHUB_TRY(srv, zmq::server::bind(*loop_, endpoint_, handler, served));
    server_ = std::move(srv);
    endpoint_ = server_->endpoint();
    DXHUB_TRY(frames, zmq::publisher::bind(*loop_, frames_endpoint_for(endpoint_),
                                           keys_.listening_options()));
    frames_ = std::move(frames);
    frames_endpoint_ = frames_->endpoint();
    if (!registry_.empty() && registry_ == node_.options.endpoint) {
      // This node hosts the registry: it relays events between the nodes.
      DXHUB_TRY(pub, zmq::publisher::bind(*loop_, relay_endpoint_for(endpoint_),
                                          keys_.listening_options()));
      relay_ = std::move(pub);
    }
    return ok();
  });
}

void network::on_request(zmq::request req, zmq::responder answer) {
  if (req.payload.size() <= large_requests::threshold_bytes) {
    dispatch(zmq::decode_payload<command>(req), std::move(answer));
    return;
  }
  // Decoded on the other thread, dispatched back here (in order among the
  // large ones; small requests of other clients pass meanwhile).
  auto held = std::make_shared<zmq::request>(std::move(req));
  bool queued = large_.submit([this, held, answer]() mutable {
    auto cmd = zmq::decode_payload<command>(*held);
    held.reset();
    loop_->hand_over([this, cmd = std::move(cmd), answer = std::move(answer)]() mutable {
      if (!closed_)
        dispatch(std::move(cmd), std::move(answer));
    });
  });
  if (!queued)
    answer.fail({errc::would_block, "node '" + name_ + "' is decoding "
                                        + std::to_string(large_.max_pending())
                                        + " large requests (over "
                                        + std::to_string(large_requests::threshold_bytes >> 10)
                                        + " KiB) already: try again"});
}

void network::dispatch(expected<command> cmd, zmq::responder answer) {
  if (!cmd) {
    answer.reject(cmd.error());
    return;
  }
  if (cmd.value().service == events_service) {
    on_relay_command(cmd.value(), std::move(answer));
    return;
  }
  serve_(std::move(cmd).value(), std::move(answer));
}

void network::hand_over(std::function<void()> fn) {
  loop_->hand_over(std::move(fn));
}

uint64_t network::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (closed_)
    return 0;
  return loop_->schedule_after(delay, [this, fn = std::move(fn)] {
    if (!closed_)
      fn();
  });
}

void network::cancel(uint64_t timer) {
  if (timer != 0 && !closed_)
    loop_->cancel(timer);
}

namespace {

/// The events of a relay command: one for `emit`, several for `emit_many`.
expected<event_batch> relayed_events(const command& cmd) {
  if (cmd.name == "emit_many")
    return decode_json<event_batch>(cmd.args.text);
  DXHUB_TRY(e, decode_json<event>(cmd.args.text));
  return event_batch{{std::move(e)}};
}

/// The successful answer to `cmd`.
reply success(const command& cmd, json_text result) {
  reply r;
  r.id = cmd.id;
  r.result = std::move(result);
  return r;
}

} // namespace

void network::on_relay_command(const command& cmd, zmq::responder answer) {
  if (!relay_) {
    answer.fail(error{errc::unknown_service, "node '" + name_ + "' does not relay events"});
    return;
  }
  if (cmd.name == "endpoint") {
    answer.reply(success(cmd, json_text{encode_json(events_endpoint{relay_->endpoint()})}));
    return;
  }
  if (cmd.name != "emit" && cmd.name != "emit_many") {
    answer.fail(error{errc::unknown_command,
                      "'" + cmd.name + "' is not a command of " + std::string{events_service}});
    return;
  }
  auto batch = relayed_events(cmd);
  if (!batch) {
    answer.reject(batch.error());
    return;
  }
  answer.reply(success(cmd, json_text{"null"}));
  for (const auto& e : batch.value().events) {
    on_remote_event(e);
    (void)relay_->publish(e.topic, e);
  }
}

void network::on_remote_event(const event& e) {
  caf::anon_send(node_.event_bus, remote_atom::value, e);
}

zmq::client* network::client_for(const std::string& endpoint, const std::string& server_key,
                                 error& failure) {
  if (auto it = clients_.find(endpoint); it != clients_.end())
    return it->second.get();
  zmq::client_options opts;
  static_cast<zmq::socket_options&>(opts) = keys_.client_options(server_key);
  opts.heartbeat_interval = node_.options.timing.peer_heartbeat_interval;
  opts.heartbeat_timeout = node_.options.timing.peer_heartbeat_timeout;
  auto made = zmq::client::connect(*loop_, endpoint, opts);
  if (!made) {
    failure = made.error();
    return nullptr;
  }
  return (clients_[endpoint] = std::move(made).value()).get();
}

namespace {

error stopping(const std::string& name) {
  return error{errc::peer_down, "node '" + name + "' is stopping"};
}

/// A node's answer to a call: its reply, or the error it or the transport sent.
expected<reply> reply_of(expected<zmq::wire_message> answer) {
  if (!answer)
    return answer.error();
  if (answer.value().header.kind == zmq::message_kind::error)
    return zmq::error_from_reply(answer.value());
  return zmq::decode_payload<reply>(answer.value());
}

} // namespace

void network::call(const std::string& endpoint, const command& cmd,
                   std::chrono::milliseconds timeout, reply_callback done, std::string server_key) {
  if (server_key.empty() && endpoint == registry_)
    server_key = keys_.registry_key();
  if (closed_) {
    done(stopping(name_));
    return;
  }
  // Encoded here, by the calling thread: the loop is held only to send.
  auto payload = zmq::encode_payload(cmd, zmq::encoding::binary);
  if (!payload) {
    done(payload.error());
    return;
  }
  // Shared: a dispatched function is copyable, a message is not.
  auto request = std::make_shared<::zmq::message_t>(std::move(payload).value());
  // Dispatched: the calling thread sends the request itself when it can.
  loop_->dispatch([this, endpoint, request, timeout, done = std::move(done),
                   server_key = std::move(server_key)]() mutable {
    if (closed_) {
      done(stopping(name_));
      return;
    }
    error failure;
    auto* c = client_for(endpoint, server_key, failure);
    if (c == nullptr) {
      done(failure);
      return;
    }
    auto header = zmq::header_for<command>(zmq::message_kind::request, zmq::encoding::binary);
    // The answer is handed over: the caller, woken by it, finds this
    // thread asleep and sends its next request itself. The client answers
    // a request once.
    c->request(header, std::move(*request), timeout,
               [this, done = std::move(done)](expected<zmq::wire_message> answer) mutable {
                 loop_->hand_over(
                     [done = std::move(done), r = reply_of(std::move(answer))]() mutable {
                       done(std::move(r));
                     });
               });
  });
}

void network::call_registry(const std::string& name, std::string json_args,
                            std::chrono::milliseconds timeout, reply_callback done) {
  if (registry_.empty()) {
    done(error{errc::no_registry, "node '" + name_ + "' has no registry configured"});
    return;
  }
  command cmd;
  cmd.id = node_.next_command_id();
  cmd.caller = name_;
  cmd.service = registry_service;
  cmd.name = name;
  cmd.args = json_text{std::move(json_args)};
  cmd.timeout_ms = timeout.count();
  call(registry_, cmd, timeout, std::move(done));
}

void network::forward_events(std::vector<event> batch) {
  if (closed_ || registry_.empty())
    return;
  loop_->post([this, batch = std::move(batch)] {
    if (closed_)
      return;
    if (relay_) { // this node is the relay
      for (const auto& e : batch)
        (void)relay_->publish(e.topic, e);
      return;
    }
    command cmd;
    cmd.id = node_.next_command_id();
    cmd.caller = name_;
    cmd.service = events_service;
    if (batch.size() == 1) {
      cmd.name = "emit";
      cmd.args = json_text{encode_json(batch.front())};
    } else {
      cmd.name = "emit_many";
      cmd.args = json_text{encode_json(event_batch{batch})};
    }
    cmd.timeout_ms = default_call_timeout.count();
    // Events are fire-and-forget: a lost relay loses them, it does not block.
    call(registry_, cmd, default_call_timeout, [](const expected<reply>&) {});
  });
}

void network::watch_events(const std::string& prefix) {
  if (closed_ || registry_.empty())
    return;
  loop_->post([this, prefix] {
    if (closed_)
      return;
    if (!prefixes_.insert(prefix).second)
      return;
    if (events_)
      events_->subscribe(prefix);
    else
      connect_events();
  });
}

void network::connect_events() {
  // The relay's node gets the other nodes' events through on_relay_command.
  if (relay_ || closed_ || events_connecting_)
    return;
  events_connecting_ = true;
  command cmd;
  cmd.id = node_.next_command_id();
  cmd.caller = name_;
  cmd.service = events_service;
  cmd.name = "endpoint";
  cmd.args = json_text{"{}"};
  call(registry_, cmd, default_call_timeout, [this](expected<reply> r) {
    events_connecting_ = false;
    if (closed_)
      return;
    auto where = r ? decode_json<events_endpoint>(r.value().result.text)
                   : expected<events_endpoint>{r.error()};
    if (!where) { // the registry is not up yet: try again soon
      loop_->schedule_after(node_.options.timing.relay_retry, [this] { connect_events(); });
      return;
    }
    auto handler = [this](std::string_view, zmq::wire_message msg) {
      auto e = zmq::decode_payload<event>(msg);
      if (e && source_node(e.value().source) != name_)
        on_remote_event(e.value());
    };
    std::vector<std::string> prefixes{prefixes_.begin(), prefixes_.end()};
    auto sub = zmq::subscriber::connect(*loop_, where.value().endpoint, prefixes, handler,
                                        keys_.client_options(keys_.registry_key()));
    if (sub)
      events_ = std::move(sub).value();
  });
}

// -- frames between hosts ---------------------------------------------------------
//
// The frame message (topic, envelope, body) is zmq::frame_message's; the
// frames sockets use the default limits, so both ends check against those.

void network::publish_frame(const std::string& channel, const schema_id& schema,
                            const frame_header& h, std::span<const std::byte> payload) {
  if (closed_ || !frames_ || frames_->subscriptions() == 0)
    return;
  auto msg = zmq::encode_frame_message(channel, schema, h, payload, zmq::limits{});
  // A frame above the message limit would be refused by every receiver: it
  // is not sent at all.
  if (!msg)
    return;
  auto& out = msg.value();
  frames_->publish(std::move(out.topic), out.header, std::move(out.body));
}

uint64_t network::watch_channel(std::string channel, remote_frames sink) {
  auto id = next_watch_.fetch_add(1);
  if (closed_ || registry_.empty())
    return id;
  loop_->post([this, id, channel = std::move(channel), sink = std::move(sink)]() mutable {
    if (closed_)
      return;
    watches_.emplace(id, channel_watch{std::move(channel), std::move(sink), nullptr,
                                       node_.options.timing.remote_channel_retry});
    resolve_channel(id);
  });
  return id;
}

void network::unwatch_channel(uint64_t id) {
  if (closed_)
    return;
  loop_->post([this, id] { watches_.erase(id); });
}

void network::resolve_channel(uint64_t id) {
  auto it = watches_.find(id);
  if (it == watches_.end() || closed_)
    return;
  call_registry("lookup", encode_json(registry_query{it->second.channel}), default_call_timeout,
                [this, id](expected<reply> r) {
                  if (!r)
                    on_channel_record(id, r.error());
                  else if (!r.value().ok())
                    on_channel_record(id, error{r.value().code, r.value().error_context});
                  else
                    on_channel_record(id, decode_json<registry_record>(r.value().result.text));
                });
}

void network::on_channel_record(uint64_t id, expected<registry_record> rec) {
  auto it = watches_.find(id);
  if (it == watches_.end() || closed_)
    return;
  auto& w = it->second;
  if (rec && rec.value().kind == entry_kind::channel && rec.value().endpoints.size() > 1) {
    if (!w.sink.accept(rec.value()))
      return; // served another way
    // Frames of another schema than the record announces are dropped.
    auto on_message = [this, id, schema = rec.value().schema](std::string_view topic,
                                                              zmq::wire_message msg) {
      auto found = watches_.find(id);
      if (found == watches_.end())
        return;
      auto frame = zmq::decode_frame_message(topic, std::move(msg), zmq::limits{}, &schema);
      if (frame && frame.value().channel == found->second.channel)
        found->second.sink.on_frame(frame.value().header, frame.value().payload());
    };
    auto sub =
        zmq::subscriber::connect(*loop_, rec.value().endpoints[1], {zmq::frame_topic(w.channel)},
                                 on_message, keys_.client_options(curve_key_of(rec.value())));
    if (sub) {
      w.frames = std::move(sub).value();
      return;
    }
  }
  // Not published yet (or not reachable): look again, less and less often.
  loop_->schedule_after(w.retry, [this, id] { resolve_channel(id); });
  w.retry = std::min(w.retry * 2, node_.options.timing.remote_channel_retry_max);
}

} // namespace dxhub::runtime::detail
