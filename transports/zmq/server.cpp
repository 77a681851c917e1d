#include "dxhub/transports/zmq/server.hpp"

#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/transports/zmq/detail/socket_ops.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <zmq.h>

#include <algorithm>
#include <string>
#include <unordered_map>

namespace dxhub::zmq {

namespace detail {

struct server_core : std::enable_shared_from_this<server_core> {
  server_core(io_loop& l, request_handler h, server_options o)
    : loop(l), socket(l.context(), ZMQ_ROUTER), handler(std::move(h)), options(std::move(o)) {}

  void serve();
  void handle(std::vector<::zmq::message_t>& frames);
  expected<void> check(const wire_message& msg) const;
  void send_error(std::vector<::zmq::message_t> routing, const envelope_header& to,
                  const error& reason);
  void send(std::vector<::zmq::message_t> frames) {
    out.send(loop, socket, std::move(frames), stats);
  }

  /// One request of `client` is answered (or dropped): loop thread only.
  void settled(const std::string& client) {
    if (auto it = in_flight.find(client); it != in_flight.end() && --it->second == 0)
      in_flight.erase(it);
  }

  io_loop& loop;
  ::zmq::socket_t socket;
  request_handler handler;
  server_options options;
  counters stats;
  detail::outbox out;
  opened where;
  /// Unanswered requests per client (routing identity): loop thread only.
  std::unordered_map<std::string, std::size_t> in_flight;
};

struct responder_state {
  io_loop* loop = nullptr;
  std::weak_ptr<server_core> core;
  std::vector<::zmq::message_t> routing;
  std::string client; // the routing identity, for the in-flight count
  uint64_t correlation = 0;
  zmq::encoding enc = zmq::encoding::binary;
  std::atomic<bool> answered{false};

  ~responder_state() {
    if (answered.load() || loop == nullptr)
      return;
    // Dropped unanswered: the request no longer counts against its client.
    // A live server means a live loop (the loop outlives its sockets).
    if (auto alive = core.lock())
      loop->post([core = core, client = std::move(client)] {
        if (auto c = core.lock())
          c->settled(client);
      });
  }
};

namespace {

envelope_header error_header(const envelope_header& to) {
  envelope_header header;
  header.kind = message_kind::error;
  header.encoding = to.encoding;
  header.schema = schema_of<dxhub::reply>();
  header.correlation = to.correlation;
  return header;
}

::zmq::message_t error_payload(const envelope_header& to, const error& reason) {
  dxhub::reply answer;
  answer.id = to.correlation;
  answer.code = reason.code;
  answer.error_context = reason.context;
  auto payload = encode_payload(answer, to.encoding);
  return payload ? std::move(payload).value() : ::zmq::message_t{};
}

/// The "User-Id" metadata of a received frame: the client's CURVE key, which
/// our ZAP handler answers with ("" without CURVE). libzmq attaches the
/// connection's metadata to every frame it receives on it.
std::string user_id(::zmq::message_t& frame) {
  const char* id = zmq_msg_gets(frame.handle(), "User-Id");
  return id != nullptr ? std::string{id} : std::string{};
}

std::vector<::zmq::message_t> envelope_frames(std::vector<::zmq::message_t> routing,
                                              envelope_header header, ::zmq::message_t payload) {
  header.payload_size = static_cast<uint32_t>(payload.size());
  header.timestamp_ns = wall_ns();
  routing.push_back(encode_header(header));
  routing.push_back(std::move(payload));
  return routing;
}

} // namespace

void server_core::serve() {
  std::vector<::zmq::message_t> frames;
  // Routing frames (identity, optional empty delimiter) come on top of the envelope.
  auto max_frames = options.limits.max_frames + 2;
  for (int i = 0; i < options.limits.batch; ++i) {
    auto status = receive_frames(socket, frames, max_frames);
    if (status == receive_status::nothing)
      return;
    stats.count_in(total_size(frames));
    if (status == receive_status::too_many_frames) {
      reject(stats, options,
             error{errc::malformed_message, "more than " + std::to_string(max_frames) + " frames"});
      continue;
    }
    handle(frames);
  }
}

void server_core::handle(std::vector<::zmq::message_t>& frames) {
  // [identity][delimiter if REQ][header][payload]
  std::vector<::zmq::message_t> routing;
  routing.push_back(std::move(frames[0]));
  std::size_t first = 1;
  if (frames.size() > 1 && frames[1].size() == 0) {
    routing.push_back(std::move(frames[1]));
    first = 2;
  }
  std::vector<::zmq::message_t> envelope;
  for (auto i = first; i < frames.size(); ++i)
    envelope.push_back(std::move(frames[i]));
  auto peer_key = envelope.empty() ? std::string{} : user_id(envelope[0]);
  // A header that decodes lets us tell the client why; one that does not gets no answer.
  expected<envelope_header> maybe_header = error{errc::malformed_message, "no header frame"};
  if (!envelope.empty())
    maybe_header = decode_header(
        {static_cast<const std::byte*>(envelope[0].data()), envelope[0].size()}, options.limits);
  auto msg = decode_message(envelope, options.limits);
  if (!msg) {
    reject(stats, options, msg.error());
    if (maybe_header)
      send_error(std::move(routing), maybe_header.value(), msg.error());
    return;
  }
  if (auto checked = check(msg.value()); !checked) {
    reject(stats, options, checked.error());
    send_error(std::move(routing), msg.value().header, checked.error());
    return;
  }
  auto client = routing[0].to_string();
  auto& pending = in_flight[client];
  if (pending >= options.limits.max_in_flight_per_client) {
    if (pending == 0)
      in_flight.erase(client);
    error busy{errc::would_block,
               "this client has " + std::to_string(pending)
                   + " requests waiting for an answer, the most a server holds per client: "
                     "wait for some replies first"};
    reject(stats, options, busy);
    send_error(std::move(routing), msg.value().header, busy);
    return;
  }
  ++pending;
  auto state = std::make_shared<responder_state>();
  state->client = std::move(client);
  state->loop = &loop;
  state->core = weak_from_this();
  state->routing = std::move(routing);
  state->correlation = msg.value().header.correlation;
  state->enc = msg.value().header.encoding;
  request req;
  static_cast<wire_message&>(req) = std::move(msg).value();
  req.peer_key = std::move(peer_key);
  handler(std::move(req), responder{state});
}

expected<void> server_core::check(const wire_message& msg) const {
  const auto& header = msg.header;
  if (header.kind != message_kind::request)
    return error{errc::malformed_message,
                 "a server takes requests, got a " + std::string{name(header.kind)}};
  // Untyped JSON (empty schema name) is checked field by field by the payload decoder.
  bool untyped_json = header.schema.name.empty() && header.encoding == encoding::json;
  if (!options.accepted_schemas.empty() && !untyped_json
      && std::find(options.accepted_schemas.begin(), options.accepted_schemas.end(), header.schema)
             == options.accepted_schemas.end()) {
    std::string accepted;
    for (const auto& id : options.accepted_schemas)
      accepted += (accepted.empty() ? "" : ", ") + to_string(id);
    return error{errc::schema_mismatch,
                 "server accepts " + accepted + "; message carries " + to_string(header.schema)};
  }
  if (header.encoding == encoding::json) {
    std::string_view text{reinterpret_cast<const char*>(msg.payload.data()), msg.payload.size()};
    if (auto doc = parse_json(text); !doc)
      return error{errc::bad_encoding, "JSON payload: " + doc.error().context};
  }
  return ok();
}

void server_core::send_error(std::vector<::zmq::message_t> routing, const envelope_header& to,
                             const error& reason) {
  send(envelope_frames(std::move(routing), error_header(to), error_payload(to, reason)));
}

} // namespace detail

bool responder::reply(envelope_header header, ::zmq::message_t payload) {
  if (state_->answered.exchange(true))
    return false;
  if (header.kind == message_kind::request)
    header.kind = message_kind::reply;
  header.correlation = state_->correlation;
  auto state = state_;
  auto frames = std::make_shared<std::vector<::zmq::message_t>>(
      detail::envelope_frames(std::move(state->routing), std::move(header), std::move(payload)));
  auto deliver = [state, frames] {
    if (auto core = state->core.lock()) {
      core->settled(state->client);
      core->send(std::move(*frames));
    }
  };
  state->loop->dispatch(std::move(deliver));
  return true;
}

bool responder::fail(const error& reason) {
  envelope_header to;
  to.encoding = state_->enc;
  to.correlation = state_->correlation;
  return reply(detail::error_header(to), detail::error_payload(to, reason));
}

bool responder::reject(const error& reason) {
  if (state_->answered.load())
    return false;
  auto state = state_;
  auto count = [state, reason] {
    if (auto core = state->core.lock())
      detail::reject(core->stats, core->options, reason);
  };
  if (state->loop->in_loop())
    count();
  else
    state->loop->post(std::move(count));
  return fail(reason);
}

zmq::encoding responder::encoding() const noexcept {
  return state_->enc;
}

expected<std::unique_ptr<server>> server::bind(io_loop& loop, std::string_view endpoint,
                                               request_handler handler, server_options options) {
  auto core = std::make_shared<detail::server_core>(loop, std::move(handler), std::move(options));
  auto* raw = core.get();
  auto opened = detail::open_served(
      loop, core->socket, endpoint, true, core->options, core->stats, core->where,
      [raw] { raw->serve(); }, [raw] { raw->out.flush(raw->loop, raw->socket, raw->stats); });
  if (!opened)
    return opened.error();
  return std::unique_ptr<server>{new server{std::move(core)}};
}

server::~server() {
  detail::close_served(core_->loop, core_->socket, core_->where);
}

const std::string& server::endpoint() const noexcept {
  return core_->where.endpoint;
}

const counters& server::stats() const noexcept {
  return core_->stats;
}

} // namespace dxhub::zmq
