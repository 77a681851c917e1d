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

#include <caf/all.hpp>

namespace dxhub::runtime {

namespace {

// Recursive: a cleanup run by `node::with` may itself ask `node::of`.
std::recursive_mutex nodes_mutex;
std::map<const caf::actor_system*, node*> nodes;

} // namespace

node::node(caf::actor_system& sys, node_options options)
  : sys_(sys), parts_(std::make_unique<detail::node_parts>(sys, with_defaults(std::move(options)))),
    channels_(std::make_unique<detail::channel_hub>()),
    services_(std::make_unique<detail::service_table>()),
    readers_(std::make_unique<detail::shm_readers>()),
    audit_(std::make_unique<detail::audit_trail>()) {
  {
    std::lock_guard lock{nodes_mutex};
    nodes[&sys_] = this;
  }
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
  {
    // From here on, cleanups of actors that outlive the node skip it.
    std::lock_guard lock{nodes_mutex};
    nodes.erase(&sys_);
  }
  shutdown();
}

void node::shutdown() {
  if (stopped_)
    return;
  stopped_ = true;
  caf::scoped_actor self{sys_, true};
  // Audit records still queued are published before the network goes.
  self->request(parts_->event_bus, std::chrono::seconds{10}, detail::flush_atom::value)
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
    self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds{10}) >> [] {});
}

void node::with_node(caf::actor_system& sys, const std::function<void(node&)>& f) {
  std::lock_guard lock{nodes_mutex};
  if (auto it = nodes.find(&sys); it != nodes.end())
    f(*it->second);
}

node* node::of(caf::actor_system& sys) noexcept {
  std::lock_guard lock{nodes_mutex};
  auto it = nodes.find(&sys);
  return it == nodes.end() ? nullptr : it->second;
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

const caf::actor& node::directory() const noexcept {
  return parts_->directory;
}

const caf::actor& node::event_bus() const noexcept {
  return parts_->event_bus;
}

const caf::actor& node::router() const noexcept {
  return parts_->router;
}

detail::publisher_links node::publisher_links() const {
  return {parts_->directory.address(), network_};
}

void node::watch_events(const std::string& prefix) {
  if (network_)
    network_->watch_events(prefix);
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
