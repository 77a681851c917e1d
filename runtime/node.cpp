#include "dxhub/runtime/node.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/audit_trail.hpp"
#include "dxhub/runtime/detail/channel_hub.hpp"
#include "dxhub/runtime/detail/directory.hpp"
#include "dxhub/runtime/detail/event_bus.hpp"
#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/publisher_links.hpp"
#include "dxhub/runtime/detail/remote_calls.hpp"
#include "dxhub/runtime/detail/router.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/detail/shm_channel.hpp"
#include "dxhub/runtime/node_attachment.hpp"

#include <caf/all.hpp>

#include <stdexcept>

namespace dxhub::runtime {

namespace {

// The configuration a node attaches to: actors reach their node through
// their system's configuration, so there is no table of nodes to look in.
const node_attachment* config_of(const caf::actor_system& sys) noexcept {
  return dynamic_cast<const node_attachment*>(&sys.config());
}

const node_attachment& attachable_config(const caf::actor_system& sys) {
  const auto* cfg = config_of(sys);
  if (cfg == nullptr)
    throw std::invalid_argument(
        "dxhub: a node needs an actor system made from dxhub::runtime::node_config");
  return *cfg;
}

} // namespace

node::node(caf::actor_system& sys, node_options options)
  : sys_(sys), config_(attachable_config(sys)),
    parts_(std::make_unique<detail::node_parts>(sys, with_defaults(std::move(options)))),
    channels_(std::make_unique<detail::channel_hub>()),
    services_(std::make_unique<detail::service_table>()),
    readers_(std::make_unique<detail::shm_readers>()),
    audit_(std::make_unique<detail::audit_trail>()) {
  attach();
  auto& p = *parts_;
  p.channels = channels_.get();
  p.services = services_.get();
  p.readers = readers_.get();
  p.audit = audit_.get();
  // Hidden: the runtime's own actors do not hold up await_all_actors_done().
  // The router and the event bus come first: the network hands them what
  // other nodes send; the directory comes last: it registers through it.
  p.event_bus = sys_.spawn<caf::hidden>(detail::event_bus, &p);
  p.router = sys_.spawn<caf::hidden>(detail::router, &p);
  calls_ = std::make_unique<detail::remote_calls>(p);
  p.calls = calls_.get();
  if (p.options.networked) {
    auto* calls = calls_.get();
    auto serve = [calls](command cmd, zmq::responder answer) {
      calls->serve(std::move(cmd), std::move(answer));
    };
    if (auto net = detail::network::start(p, std::move(serve))) {
      network_ = std::move(net).value();
      p.net = network_.get();
    } else {
      startup_error_ = net.error();
    }
  }
  p.directory = sys_.spawn<caf::hidden>(detail::directory, &p);
}

node::~node() {
  // From here on, cleanups of actors that outlive the node skip it.
  detach();
  shutdown();
}

void node::attach() {
  std::lock_guard lock{config_.mutex_};
  if (config_.attached_.load(std::memory_order_relaxed) != nullptr)
    throw std::logic_error("dxhub: this actor system already has a node");
  config_.attached_.store(this, std::memory_order_release);
}

void node::detach() {
  std::lock_guard lock{config_.mutex_};
  config_.attached_.store(nullptr, std::memory_order_release);
}

void node::shutdown() {
  if (stopped_)
    return;
  stopped_ = true;
  caf::scoped_actor self{sys_, true};
  // Audit records still queued are published before the network goes.
  self->request(parts_->event_bus, parts_->options.timing.shutdown_wait, detail::flush_atom::value)
      .receive([] {}, [](const caf::error&) {});
  readers_->stop_all();
  if (network_)
    network_->stop();
  calls_->stop();
  // The runtime's actors hold a pointer to this node: wait until they are gone.
  for (auto* a : {&parts_->router, &parts_->directory, &parts_->event_bus}) {
    self->monitor(*a);
    self->send_exit(*a, caf::exit_reason::user_shutdown);
  }
  for (int i = 0; i < 3; ++i)
    self->receive([](const caf::down_msg&) {},
                  caf::after(parts_->options.timing.shutdown_wait) >> [] {});
}

void node::with_node(caf::actor_system& sys, const std::function<void(node&)>& f) {
  const auto* cfg = config_of(sys);
  if (cfg == nullptr)
    return;
  std::lock_guard lock{cfg->mutex_};
  if (auto* n = cfg->attached_.load(std::memory_order_acquire))
    f(*n);
}

node* node::of(caf::actor_system& sys) noexcept {
  const auto* cfg = config_of(sys);
  return cfg == nullptr ? nullptr : cfg->attached_.load(std::memory_order_acquire);
}

expected<node*> node::require(caf::actor_system& sys) {
  if (auto* n = of(sys))
    return n;
  return error{errc::invalid_argument,
               "no dxhub node runs in this actor system; create a dxhub::runtime::node first"};
}

void node::emit(event e) {
  parts_->emit(std::move(e));
}

const node_options& node::options() const noexcept {
  return parts_->options;
}

uint64_t node::next_command_id() noexcept {
  return parts_->next_command_id();
}

std::string node::endpoint() const {
  return network_ ? network_->endpoint() : std::string{};
}

std::string node::label(caf::actor_id id) const {
  std::lock_guard lock{labels_mutex_};
  auto it = labels_.find(id);
  return it == labels_.end() ? std::string{} : it->second;
}

void node::set_label(caf::actor_id id, std::string label) {
  std::lock_guard lock{labels_mutex_};
  labels_[id] = std::move(label);
}

void node::forget_label(caf::actor_id id) {
  std::lock_guard lock{labels_mutex_};
  labels_.erase(id);
}

} // namespace dxhub::runtime
