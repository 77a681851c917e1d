#include "dxhub/runtime/channel.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/channel_hub.hpp"
#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/node_access.hpp"
#include "dxhub/runtime/detail/shm_channel.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/name.hpp"

#include <caf/local_actor.hpp>
#include <caf/send.hpp>

#include <cstring>
#include <functional>
#include <random>
#include <unistd.h>

namespace dxhub::runtime {

namespace {

uint64_t new_session_id() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(monotonic_ns());
}

/// A frame in this process's memory: written by the publisher, then shared
/// read-only by the subscribers in this process.
class heap_frame final : public detail::writable_frame, public frame_storage {
public:
  heap_frame(const detail::channel_writer* writer, std::shared_ptr<const frame_schema> schema,
             std::shared_ptr<const std::string> channel, std::size_t bytes,
             runtime::transport via = transport::in_process)
    : writable_frame(writer), schema_(std::move(schema)), channel_(std::move(channel)),
      bytes_(bytes), via_(via) {}

  frame_header& header() noexcept override { return header_; }
  std::span<std::byte> payload() noexcept override { return bytes_; }
  const frame_schema& schema() const noexcept override { return *schema_; }

  const frame_header& header() const noexcept override { return header_; }
  std::span<const std::byte> payload() const noexcept override { return bytes_; }
  const std::string& channel() const noexcept override { return *channel_; }
  runtime::transport transport() const noexcept override { return via_; }

private:
  std::shared_ptr<const frame_schema> schema_;
  std::shared_ptr<const std::string> channel_;
  frame_header header_;
  std::vector<std::byte> bytes_;
  runtime::transport via_;
};

class in_process_writer final : public detail::channel_writer {
public:
  in_process_writer(detail::publisher_links links, std::shared_ptr<detail::local_channel> local,
                    std::shared_ptr<const frame_schema> schema, uint64_t session)
    : links_(std::move(links)), local_(std::move(local)), schema_(std::move(schema)),
      channel_(std::make_shared<const std::string>(local_->name())), session_(session),
      payload_size_(schema_->payload_size().value()) {}

  ~in_process_writer() override {
    local_->detach_publisher();
    links_.closed(*channel_);
  }

  const std::string& channel() const noexcept override { return *channel_; }
  const frame_schema& schema() const noexcept override { return *schema_; }
  uint64_t session() const noexcept override { return session_; }
  runtime::transport transport() const noexcept override { return transport::in_process; }

  expected<std::shared_ptr<detail::writable_frame>> loan() override {
    return std::make_shared<heap_frame>(this, schema_, channel_, payload_size_);
  }

  expected<publish_report> publish(std::shared_ptr<detail::writable_frame> f) override {
    if (!f || !f->loaned_by(this))
      return error{errc::invalid_argument, "frame was not loaned from '" + *channel_ + "'"};
    auto frame = std::static_pointer_cast<heap_frame>(std::move(f));
    auto& h = frame->header();
    h.sequence = next_sequence_++;
    h.session = session_;
    h.monotonic_ns = monotonic_ns();
    h.wall_ns = wall_ns();
    links_.send_to_other_hosts(*channel_, *schema_, h, frame->payload());
    return local_->distribute(std::static_pointer_cast<const frame_storage>(frame));
  }

private:
  detail::publisher_links links_;
  std::shared_ptr<detail::local_channel> local_;
  std::shared_ptr<const frame_schema> schema_;
  std::shared_ptr<const std::string> channel_;
  uint64_t session_;
  uint64_t payload_size_;
  uint64_t next_sequence_ = 0;
};

registry_record channel_record(const node& n, const std::string& channel,
                               const frame_schema& schema) {
  registry_record rec;
  rec.kind = entry_kind::channel;
  rec.name = channel;
  rec.node = n.name();
  rec.host = n.host_id();
  rec.pid = static_cast<uint32_t>(getpid());
  rec.schema = schema.id();
  rec.lease_ms = n.options().lease.count();
  rec.properties.text = nlohmann::json{{"frame_schema", schema}}.dump();
  return rec;
}

} // namespace

// -- loaned_frame ---------------------------------------------------------------

frame_header& loaned_frame::header() noexcept {
  return frame_->header();
}

std::optional<uint32_t> loaned_frame::chunk_index() const noexcept {
  return frame_ ? frame_->chunk_index() : std::nullopt;
}

std::span<std::byte> loaned_frame::payload() noexcept {
  return frame_->payload();
}

mutable_frame_view loaned_frame::view() noexcept {
  return {&frame_->header(), frame_->payload(), &frame_->schema()};
}

// -- publisher ------------------------------------------------------------------

const std::string& publisher::channel() const noexcept {
  return writer_->channel();
}

const frame_schema& publisher::schema() const noexcept {
  return writer_->schema();
}

uint64_t publisher::session() const noexcept {
  return writer_->session();
}

runtime::transport publisher::transport() const noexcept {
  return writer_->transport();
}

expected<loaned_frame> publisher::loan() {
  if (!writer_)
    return error{errc::invalid_argument, "publisher is empty"};
  DXHUB_TRY(f, writer_->loan());
  return loaned_frame{std::move(f)};
}

expected<publish_report> publisher::publish(loaned_frame frame) {
  if (!writer_ || !frame)
    return error{errc::invalid_argument, "publish needs a publisher and a loaned frame"};
  return writer_->publish(std::move(frame.frame_));
}

expected<publish_report> publisher::publish_copy(std::span<const std::byte> payload,
                                                 double experiment_time) {
  DXHUB_TRY(f, loan());
  auto out = f.payload();
  if (payload.size() > out.size())
    return error{errc::frame_too_large, std::to_string(payload.size()) + " bytes do not fit in a "
                                            + std::to_string(out.size()) + "-byte frame of '"
                                            + channel() + "'"};
  std::memcpy(out.data(), payload.data(), payload.size());
  f.header().experiment_time = experiment_time;
  return publish(std::move(f));
}

expected<publisher> publish(node& n, const std::string& channel, const frame_schema& schema,
                            const publisher_options& options) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  DXHUB_TRYV(schema.validate());
  auto session = new_session_id();
  std::shared_ptr<detail::channel_writer> writer;
  if (n.options().shared_memory) {
    DXHUB_TRY(w, detail::open_shm_writer(detail::node_access::links(n), channel, schema, options,
                                         session));
    writer = std::move(w);
  } else {
    auto shared_schema = std::make_shared<const frame_schema>(schema);
    auto local = detail::node_access::channels(n).get(channel);
    DXHUB_TRYV(local->attach_publisher(shared_schema, session));
    writer = std::make_shared<in_process_writer>(detail::node_access::links(n), local,
                                                 shared_schema, session);
  }
  caf::anon_send(detail::node_access::directory(n), detail::channel_atom::value,
                 channel_record(n, channel, schema));
  return publisher{std::move(writer)};
}

expected<publisher> publish(caf::local_actor* self, const std::string& channel,
                            const frame_schema& schema, const publisher_options& options) {
  DXHUB_TRY(n, node::require(self->home_system()));
  return publish(*n, channel, schema, options);
}

// -- subscription -------------------------------------------------------------------

const std::string& subscription::channel() const noexcept {
  return state_->channel;
}

runtime::transport subscription::transport() const noexcept {
  return state_->via.load();
}

subscription_stats subscription::stats() const noexcept {
  if (!state_ || !state_->out)
    return {};
  const auto& c = state_->out->counters();
  return {c.delivered.load(), c.dropped.load(), c.slow.load()};
}

void subscription::cancel() {
  if (state_)
    state_->cancel();
}

namespace {

/// The frames of one subscription that come from another host over ZeroMQ.
/// Runs on the network thread.
struct remote_source {
  caf::actor target;
  std::shared_ptr<const std::string> channel;
  std::shared_ptr<detail::delivery> out;
  std::shared_ptr<detail::subscription_state> state;
  std::optional<schema_id> expect;
  runtime::policy policy = policy::latest;
  std::string own_host;
  bool forced = false;
  std::function<void()> leave_other_path; // stops the shared-memory reader
  std::shared_ptr<const frame_schema> schema;
  std::size_t frame_bytes = 0;
  uint64_t session = 0;

  void tell(channel_status::state what, errc code = errc::none, std::string detail = {}) const {
    caf::anon_send(
        target, channel_status{*channel, what, transport::zmq, session, code, std::move(detail)});
  }

  bool accept(const registry_record& rec) {
    if (!forced && rec.host == own_host)
      return false; // same host: shared memory carries the frames
    // Known only now that the publisher turned up on another host.
    if (auto fits = check_policy(policy, transport::zmq); !fits) {
      tell(channel_status::state::refused, fits.error().code,
           "channel '" + *channel + "' from node '" + rec.node + "': " + fits.error().context);
      return false;
    }
    auto props = nlohmann::json::parse(rec.properties.text, nullptr, false);
    auto described = props.is_object() && props.contains("frame_schema")
                         ? decode_json<frame_schema>(props["frame_schema"].dump())
                         : expected<frame_schema>{error{errc::bad_encoding, "no frame schema"}};
    if (!described) {
      tell(channel_status::state::refused, described.error().code,
           "channel '" + *channel + "' from node '" + rec.node + "': " + described.error().context);
      return false;
    }
    if (expect)
      if (auto same =
              require_same_schema(rec.schema, *expect, "channel '" + *channel + "'", "subscriber");
          !same) {
        tell(channel_status::state::refused, errc::schema_mismatch, same.error().context);
        return false;
      }
    if (leave_other_path)
      leave_other_path();
    auto size = described.value().payload_size();
    if (!size) {
      tell(channel_status::state::refused, size.error().code, size.error().context);
      return false;
    }
    frame_bytes = size.value();
    schema = std::make_shared<const frame_schema>(std::move(described).value());
    state->via = transport::zmq;
    return true;
  }

  void on_frame(const frame_header& h, std::span<const std::byte> bytes) {
    if (bytes.size() != frame_bytes)
      return; // not a frame of the schema announced: never handed on
    auto f = std::make_shared<heap_frame>(nullptr, schema, channel, bytes.size(), transport::zmq);
    f->header() = h;
    std::memcpy(f->payload().data(), bytes.data(), bytes.size());
    if (h.session != session) {
      session = h.session;
      tell(channel_status::state::attached);
    }
    out->offer(std::static_pointer_cast<const frame_storage>(f), detail::no_wait);
  }
};

/// Watches the registry for `channel` on another host (or on any node when
/// `forced`), then takes its frames over ZeroMQ.
void watch_remote(node& n, caf::local_actor* self, const std::string& channel,
                  const subscription_options& options,
                  const std::shared_ptr<detail::subscription_state>& state,
                  std::function<void()> leave_other_path) {
  auto* net = detail::node_access::net(n);
  if (net == nullptr || !net->registry().configured())
    return;
  auto src = std::make_shared<remote_source>();
  src->target = caf::actor_cast<caf::actor>(self);
  src->channel = std::make_shared<const std::string>(channel);
  src->out = state->out;
  src->state = state;
  src->expect = options.expect;
  src->policy = options.policy;
  src->own_host = n.host_id();
  src->forced = options.force == transport::zmq;
  src->leave_other_path = std::move(leave_other_path);
  detail::remote_frame_sink sink;
  sink.accept = [src](const registry_record& rec) { return src->accept(rec); };
  sink.on_frame = [src](const frame_header& h, std::span<const std::byte> bytes) {
    src->on_frame(h, bytes);
  };
  auto id = net->frames().watch(channel, std::move(sink));
  auto previous = std::move(state->on_cancel);
  state->on_cancel = [sys = &n.system(), id, previous] {
    if (previous)
      previous();
    node::with_node(*sys, [id](node& owner) {
      if (auto* network = detail::node_access::net(owner))
        network->frames().unwatch(id);
    });
  };
}

expected<subscription> subscribe_remote(node& n, caf::local_actor* self, const std::string& channel,
                                        const subscription_options& options) {
  if (detail::node_access::net(n) == nullptr
      || !detail::node_access::net(n)->registry().configured())
    return error{errc::no_registry, "channel '" + channel
                                        + "': frames over ZeroMQ need a networked node with a "
                                          "registry"};
  auto state = std::make_shared<detail::subscription_state>();
  state->channel = channel;
  state->out = std::make_shared<detail::delivery>(caf::actor_cast<caf::actor>(self), options);
  watch_remote(n, self, channel, options, state, {});
  self->attach_functor([state] { state->cancel(); });
  return subscription{std::move(state)};
}

expected<subscription> subscribe_shm(node& n, caf::local_actor* self, const std::string& channel,
                                     const subscription_options& options) {
  std::unique_ptr<detail::work_claims> claims;
  if (options.policy == policy::work) {
    DXHUB_TRY(joined, detail::work_claims::join(channel, options.group));
    claims = std::make_unique<detail::work_claims>(std::move(joined));
  }
  auto out = std::make_shared<detail::delivery>(caf::actor_cast<caf::actor>(self), options);
  auto state = std::make_shared<detail::subscription_state>();
  state->channel = channel;
  state->out = out;
  auto reader =
      std::make_shared<detail::shm_reader>(caf::actor_cast<caf::actor>(self), channel, options,
                                           n.options().timing, out, state, std::move(claims));
  state->on_cancel = [weak = std::weak_ptr<detail::shm_reader>{reader}] {
    if (auto r = weak.lock())
      r->stop();
  };
  auto leave = state->on_cancel;
  detail::node_access::readers(n).add(std::move(reader));
  watch_remote(n, self, channel, options, state, leave);
  self->attach_functor([state] { state->cancel(); });
  return subscription{std::move(state)};
}

} // namespace

expected<subscription> subscribe(caf::local_actor* self, const std::string& channel,
                                 const subscription_options& options) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  if (options.policy == policy::work)
    DXHUB_TRYV(validate_name(options.group, "work group"));
  DXHUB_TRY(n, node::require(self->home_system()));
  // The transport known now; one found later (a publisher on another host)
  // is checked by `remote_source::accept`.
  auto via = options.force != transport::automatic ? options.force
             : n->options().shared_memory          ? transport::shm
                                                   : transport::in_process;
  if (auto fits = check_policy(options.policy, via); !fits)
    return error{fits.error().code, "channel '" + channel + "': " + fits.error().context};
  if (options.force == transport::zmq)
    return subscribe_remote(*n, self, channel, options);
  if (n->options().shared_memory)
    return subscribe_shm(*n, self, channel, options);
  auto local = detail::node_access::channels(*n).get(channel);
  DXHUB_TRY(out, local->add(caf::actor_cast<caf::actor>(self), options));
  auto state = std::make_shared<detail::subscription_state>();
  state->channel = channel;
  state->out = std::move(out);
  state->local = local;
  if (local->has_local_publisher())
    state->via = transport::in_process;
  self->attach_functor([state] { state->cancel(); });
  return subscription{std::move(state)};
}

} // namespace dxhub::runtime
