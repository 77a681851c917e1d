#include "dxhub/runtime/detail/event_relay.hpp"

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/node_keys.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/registry_client.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <caf/send.hpp>

namespace dxhub::runtime::detail {

namespace {

/// The ipc or tcp endpoint of the event relay next to a node endpoint.
std::string relay_endpoint_for(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0)
    return endpoint + ".events";
  auto colon = endpoint.rfind(':');
  return endpoint.substr(0, colon) + ":0"; // tcp: any free port on the same address
}

std::string source_node(const std::string& source) {
  return source.substr(0, source.find('/'));
}

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

event_relay::event_relay(const network_context& net, registry_client& registry)
  : net_(net), registry_(registry) {}

event_relay::~event_relay() = default;

expected<void> event_relay::bind(const std::string& node_endpoint) {
  if (!registry_.configured() || registry_.endpoint() != net_.node.options.endpoint)
    return ok();
  DXHUB_TRY(pub, zmq::publisher::bind(net_.loop, relay_endpoint_for(node_endpoint),
                                      net_.keys.listening_options()));
  relay_ = std::move(pub);
  return ok();
}

void event_relay::close() {
  events_.reset();
  relay_.reset();
}

void event_relay::serve(const command& cmd, zmq::responder answer) {
  if (!relay_) {
    answer.fail(
        error{errc::unknown_service, "node '" + net_.node.name() + "' does not relay events"});
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
    deliver(e);
    (void)relay_->publish(e.topic, e);
  }
}

void event_relay::deliver(const event& e) {
  caf::anon_send(net_.node.event_bus, remote_atom::value, e);
}

void event_relay::forward(std::vector<event> batch) {
  if (net_.closed || !registry_.configured())
    return;
  net_.loop.post([this, batch = std::move(batch)] {
    if (net_.closed)
      return;
    if (relay_) { // this node is the relay
      for (const auto& e : batch)
        (void)relay_->publish(e.topic, e);
      return;
    }
    auto cmd =
        batch.size() == 1
            ? registry_.command_for(events_service, "emit", encode_json(batch.front()))
            : registry_.command_for(events_service, "emit_many", encode_json(event_batch{batch}));
    cmd.timeout_ms = default_call_timeout.count();
    // Events are fire-and-forget: a lost relay loses them, it does not block.
    registry_.send(cmd, default_call_timeout, [](const expected<reply>&) {});
  });
}

void event_relay::watch(const std::string& prefix) {
  if (net_.closed || !registry_.configured())
    return;
  net_.loop.post([this, prefix] {
    if (net_.closed)
      return;
    if (!prefixes_.insert(prefix).second)
      return;
    if (events_)
      events_->subscribe(prefix);
    else
      connect();
  });
}

void event_relay::connect() {
  // The relay's node gets the other nodes' events through `serve`.
  if (relay_ || net_.closed || connecting_)
    return;
  connecting_ = true;
  auto cmd = registry_.command_for(events_service, "endpoint", "{}");
  registry_.send(cmd, default_call_timeout, [this](expected<reply> r) {
    connecting_ = false;
    if (net_.closed)
      return;
    auto where = r ? decode_json<events_endpoint>(r.value().result.text)
                   : expected<events_endpoint>{r.error()};
    if (!where) { // the registry is not up yet: try again soon
      net_.loop.schedule_after(net_.node.options.timing.relay_retry, [this] { connect(); });
      return;
    }
    auto handler = [this](std::string_view, zmq::wire_message msg) {
      auto e = zmq::decode_payload<event>(msg);
      if (e && source_node(e.value().source) != net_.node.name())
        deliver(e.value());
    };
    std::vector<std::string> prefixes{prefixes_.begin(), prefixes_.end()};
    auto sub = zmq::subscriber::connect(net_.loop, where.value().endpoint, prefixes, handler,
                                        net_.keys.client_options(net_.keys.registry_key()));
    if (sub)
      events_ = std::move(sub).value();
  });
}

} // namespace dxhub::runtime::detail
