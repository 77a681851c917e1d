#include "dxhub/runtime/detail/network.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/zmq/client.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <caf/send.hpp>

#include <sys/stat.h>

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

std::string source_node(const std::string& source) {
  return source.substr(0, source.find('/'));
}

} // namespace

network::network(node& n)
  : node_(n), name_(n.name()), registry_(n.options().registry), endpoint_(n.options().endpoint),
    loop_(std::make_unique<zmq::io_loop>()) {}

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
    clients_.clear();
    server_.reset();
  });
  loop_->stop();
}

expected<std::unique_ptr<network>> network::start(node& n) {
  std::unique_ptr<network> net{new network(n)};
  DXHUB_TRYV(net->bind());
  return net;
}

expected<void> network::bind() {
  prepare_ipc_dir(endpoint_);
  return loop_->call([this]() -> expected<void> {
    auto handler = [this](zmq::request req, zmq::responder answer) {
      on_request(std::move(req), std::move(answer));
    };
    DXHUB_TRY(srv, zmq::server::bind(*loop_, endpoint_, handler));
    server_ = std::move(srv);
    endpoint_ = server_->endpoint();
    if (!registry_.empty() && registry_ == node_.options().endpoint) {
      // This node hosts the registry: it relays events between the nodes.
      DXHUB_TRY(pub, zmq::publisher::bind(*loop_, relay_endpoint_for(endpoint_)));
      relay_ = std::move(pub);
    }
    return ok();
  });
}

void network::on_request(zmq::request req, zmq::responder answer) {
  auto cmd = zmq::decode_payload<command>(req);
  if (!cmd) {
    answer.reject(cmd.error());
    return;
  }
  if (cmd.value().service == events_service) {
    on_relay_command(cmd.value(), std::move(answer));
    return;
  }
  caf::anon_send(node_.router(), net_call_atom::value, std::move(cmd).value(),
                 remote_caller{std::move(answer)});
}

void network::on_relay_command(const command& cmd, zmq::responder answer) {
  if (!relay_) {
    answer.fail(error{errc::unknown_service, "node '" + name_ + "' does not relay events"});
    return;
  }
  if (cmd.name == "endpoint") {
    answer.reply(reply{cmd.id, errc::none, "",
                       json_text{encode_json(events_endpoint{relay_->endpoint()})}, 0});
    return;
  }
  if (cmd.name != "emit") {
    answer.fail(error{errc::unknown_command,
                      "'" + cmd.name + "' is not a command of " + std::string{events_service}});
    return;
  }
  auto e = decode_json<event>(cmd.args.text);
  if (!e) {
    answer.reject(e.error());
    return;
  }
  answer.reply(reply{cmd.id, errc::none, "", json_text{"null"}, 0});
  on_remote_event(e.value());
  (void)relay_->publish(e.value().topic, e.value());
}

void network::on_remote_event(const event& e) {
  caf::anon_send(node_.event_bus(), remote_atom::value, e);
}

zmq::client* network::client_for(const std::string& endpoint, error& failure) {
  if (auto it = clients_.find(endpoint); it != clients_.end())
    return it->second.get();
  zmq::client_options opts;
  opts.heartbeat_interval = 250ms;
  opts.heartbeat_timeout = 1000ms;
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

} // namespace

void network::call(const std::string& endpoint, command cmd, std::chrono::milliseconds timeout,
                   reply_callback done) {
  if (closed_) {
    done(stopping(name_));
    return;
  }
  loop_->post([this, endpoint, cmd = std::move(cmd), timeout, done = std::move(done)]() mutable {
    if (closed_) {
      done(stopping(name_));
      return;
    }
    auto payload = zmq::encode_payload(cmd, zmq::encoding::binary);
    if (!payload) {
      done(payload.error());
      return;
    }
    error failure;
    auto* c = client_for(endpoint, failure);
    if (c == nullptr) {
      done(failure);
      return;
    }
    auto header = zmq::header_for<command>(zmq::message_kind::request, zmq::encoding::binary);
    c->request(header, std::move(payload).value(), timeout,
               [done = std::move(done)](expected<zmq::wire_message> answer) {
                 if (!answer) {
                   done(answer.error());
                   return;
                 }
                 if (answer.value().header.kind == zmq::message_kind::error) {
                   done(zmq::error_from_reply(answer.value()));
                   return;
                 }
                 auto r = zmq::decode_payload<reply>(answer.value());
                 if (!r)
                   done(r.error());
                 else
                   done(std::move(r).value());
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
  call(registry_, std::move(cmd), timeout, std::move(done));
}

void network::forward_event(const event& e) {
  if (closed_ || registry_.empty())
    return;
  loop_->post([this, e] {
    if (closed_)
      return;
    if (relay_) { // this node is the relay
      (void)relay_->publish(e.topic, e);
      return;
    }
    command cmd;
    cmd.id = node_.next_command_id();
    cmd.caller = name_;
    cmd.service = events_service;
    cmd.name = "emit";
    cmd.args = json_text{encode_json(e)};
    cmd.timeout_ms = 2000;
    // Events are fire-and-forget: a lost relay loses them, it does not block.
    call(registry_, std::move(cmd), 2000ms, [](expected<reply>) {});
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
  call(registry_, std::move(cmd), 2000ms, [this](expected<reply> r) {
    events_connecting_ = false;
    if (closed_)
      return;
    auto where = r ? decode_json<events_endpoint>(r.value().result.text)
                   : expected<events_endpoint>{r.error()};
    if (!where) { // the registry is not up yet: try again soon
      loop_->schedule_after(500ms, [this] { connect_events(); });
      return;
    }
    auto handler = [this](std::string_view, zmq::wire_message msg) {
      auto e = zmq::decode_payload<event>(msg);
      if (e && source_node(e.value().source) != name_)
        on_remote_event(e.value());
    };
    std::vector<std::string> prefixes{prefixes_.begin(), prefixes_.end()};
    auto sub = zmq::subscriber::connect(*loop_, where.value().endpoint, prefixes, handler);
    if (sub)
      events_ = std::move(sub).value();
  });
}

} // namespace dxhub::runtime::detail
