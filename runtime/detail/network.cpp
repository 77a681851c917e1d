#include "dxhub/runtime/detail/network.hpp"

#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace dxhub::runtime::detail {

namespace {

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

} // namespace

network::network(node_parts& n, command_handler serve)
  : node_(n), serve_(std::move(serve)), endpoint_(n.options.endpoint),
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
    // The parts are missing when the keys could not be loaded.
    if (events_)
      events_->close();
    if (frames_)
      frames_->close();
    if (peers_)
      peers_->close();
    server_.reset();
  });
  loop_->stop();
}

expected<std::unique_ptr<network>> network::start(node_parts& n, command_handler serve) {
  std::unique_ptr<network> net{new network(n, std::move(serve))};
  DXHUB_TRY(keys, node_keys::load(n.options, n.name(), net->endpoint_));
  net->keys_ = std::move(keys);
  network_context shared{*net->loop_, net->keys_, n, net->closed_};
  net->peers_ = std::make_unique<peer_clients>(shared);
  net->registry_ = std::make_unique<registry_client>(*net->peers_, n);
  net->events_ = std::make_unique<event_relay>(shared, *net->registry_);
  net->frames_ = std::make_unique<remote_frames>(shared, *net->registry_);
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
    DXHUB_TRYV(frames_->bind(endpoint_));
    return events_->bind(endpoint_);
  });
}

void network::on_request(zmq::request req, zmq::responder answer) {
  if (req.payload.size() <= large_requests::threshold_bytes) {
    dispatch(zmq::decode_payload<command>(req), std::move(req.peer_key), std::move(answer));
    return;
  }
  // Decoded on the other thread, dispatched back here (in order among the
  // large ones; small requests of other clients pass meanwhile).
  auto held = std::make_shared<zmq::request>(std::move(req));
  bool queued = large_.submit([this, held, answer]() mutable {
    auto cmd = zmq::decode_payload<command>(*held);
    auto peer = std::move(held->peer_key);
    held.reset();
    loop_->hand_over(
        [this, cmd = std::move(cmd), peer = std::move(peer), answer = std::move(answer)]() mutable {
          if (!closed_)
            dispatch(std::move(cmd), std::move(peer), std::move(answer));
        });
  });
  if (!queued)
    answer.fail({errc::would_block, "node '" + node_.name() + "' is decoding "
                                        + std::to_string(large_.max_pending())
                                        + " large requests (over "
                                        + std::to_string(large_requests::threshold_bytes >> 10)
                                        + " KiB) already: try again"});
}

void network::dispatch(expected<command> cmd, std::string peer_key, zmq::responder answer) {
  if (!cmd) {
    answer.reject(cmd.error());
    return;
  }
  // Who the transport authenticated, never what the payload claims.
  cmd.value().peer_key = std::move(peer_key);
  if (cmd.value().service == events_service) {
    events_->serve(cmd.value(), std::move(answer));
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

} // namespace dxhub::runtime::detail
