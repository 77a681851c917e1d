#include "dxhub/runtime/detail/remote_frames.hpp"

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/runtime/detail/node_keys.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/registry_client.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/transports/zmq/frame_message.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <algorithm>
#include <cstdlib>

namespace dxhub::runtime::detail {

namespace {

/// The frames endpoint next to a node endpoint: ipc beside it; tcp on the
/// next port (any free one when the node's port is chosen by the system).
std::string frames_endpoint_for(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0)
    return endpoint + ".frames";
  auto colon = endpoint.rfind(':');
  auto port = std::strtoul(endpoint.c_str() + colon + 1, nullptr, 10);
  return endpoint.substr(0, colon) + ":" + (port == 0 ? "0" : std::to_string(port + 1));
}

} // namespace

remote_frames::remote_frames(const network_context& net, registry_client& registry)
  : net_(net), registry_(registry) {}

remote_frames::~remote_frames() = default;

expected<void> remote_frames::bind(const std::string& node_endpoint) {
  DXHUB_TRY(frames, zmq::publisher::bind(net_.loop, frames_endpoint_for(node_endpoint),
                                         net_.listening("frames")));
  frames_ = std::move(frames);
  endpoint_ = frames_->endpoint();
  return ok();
}

std::shared_ptr<const std::atomic<int>> remote_frames::watched() const {
  return frames_ ? frames_->subscription_count() : nullptr;
}

void remote_frames::close() {
  watches_.clear();
}

// The frames sockets use the default limits, so both ends check against those.

void remote_frames::publish(const std::string& channel, const schema_id& schema,
                            const frame_header& h, std::span<const std::byte> payload) {
  if (net_.closed || !frames_ || frames_->subscriptions() == 0)
    return;
  auto msg = zmq::encode_frame_message(channel, schema, h, payload, zmq::limits{});
  // A frame above the message limit would be refused by every receiver: it
  // is not sent at all.
  if (!msg)
    return;
  auto& out = msg.value();
  frames_->publish(std::move(out.topic), out.header, std::move(out.body));
}

uint64_t remote_frames::watch(std::string channel, remote_frame_sink sink) {
  auto id = next_watch_.fetch_add(1);
  if (net_.closed || !registry_.configured())
    return id;
  net_.loop.post([this, id, channel = std::move(channel), sink = std::move(sink)]() mutable {
    if (net_.closed)
      return;
    watches_.emplace(id, channel_watch{std::move(channel), std::move(sink), nullptr,
                                       net_.node.options.timing.remote_channel_retry});
    resolve(id);
  });
  return id;
}

void remote_frames::unwatch(uint64_t id) {
  if (net_.closed)
    return;
  net_.loop.post([this, id] { watches_.erase(id); });
}

void remote_frames::resolve(uint64_t id) {
  auto it = watches_.find(id);
  if (it == watches_.end() || net_.closed)
    return;
  registry_.call("lookup", encode_json(registry_query{it->second.channel}), default_call_timeout,
                 [this, id](expected<reply> r) {
                   if (!r)
                     on_record(id, r.error());
                   else if (!r.value().ok())
                     on_record(id, error{r.value().code, r.value().error_context});
                   else
                     on_record(id, decode_json<registry_record>(r.value().result.text));
                 });
}

void remote_frames::on_record(uint64_t id, expected<registry_record> rec) {
  auto it = watches_.find(id);
  if (it == watches_.end() || net_.closed)
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
        zmq::subscriber::connect(net_.loop, rec.value().endpoints[1], {zmq::frame_topic(w.channel)},
                                 on_message, net_.keys.client_options(curve_key_of(rec.value())));
    if (sub) {
      w.frames = std::move(sub).value();
      return;
    }
  }
  // Not published yet (or not reachable): look again, less and less often.
  net_.loop.schedule_after(w.retry, [this, id] { resolve(id); });
  w.retry = std::min(w.retry * 2, net_.node.options.timing.remote_channel_retry_max);
}

} // namespace dxhub::runtime::detail
