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

#include <array>
#include <atomic>
#include <stdexcept>

namespace dxhub::runtime {

namespace {

// Which node serves which actor system. `node::of` runs on every call and
// event an actor makes: it reads the slots without a lock. Nodes come and go
// under the mutex, which `with_node` holds while a cleanup runs (recursive:
// a cleanup may itself ask `node::of`).
constexpr std::size_t max_nodes = 128;

struct node_slot {
  std::atomic<const caf::actor_system*> sys{nullptr};
  std::atomic<node*> owner{nullptr};
};

std::recursive_mutex nodes_mutex;
std::array<node_slot, max_nodes> nodes;
// Slots past this one were never used: lookups stop here.
std::atomic<std::size_t> slots_used{0};

node* find_node(const caf::actor_system& sys) noexcept {
  auto used = slots_used.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < used; ++i)
    if (nodes[i].sys.load(std::memory_order_acquire) == &sys)
      return nodes[i].owner.load(std::memory_order_acquire);
  return nullptr;
}

void attach(const caf::actor_system& sys, node* n) {
  std::lock_guard lock{nodes_mutex};
  for (std::size_t i = 0; i < max_nodes; ++i)
    if (nodes[i].sys.load(std::memory_order_relaxed) == nullptr) {
      nodes[i].owner.store(n, std::memory_order_release);
      nodes[i].sys.store(&sys, std::memory_order_release);
      if (slots_used.load(std::memory_order_relaxed) <= i)
        slots_used.store(i + 1, std::memory_order_release);
      return;
    }
  throw std::length_error("dxhub: more than " + std::to_string(max_nodes)
                          + " nodes in one process");
}

void detach(const caf::actor_system& sys) {
  std::lock_guard lock{nodes_mutex};
  for (auto& slot : nodes)
    if (slot.sys.load(std::memory_order_relaxed) == &sys) {
      slot.sys.store(nullptr, std::memory_order_release);
      slot.owner.store(nullptr, std::memory_order_release);
    }
}

} // namespace

node::node(caf::actor_system& sys, node_options options)
  : sys_(sys), parts_(std::make_unique<detail::node_parts>(sys, with_defaults(std::move(options)))),
    channels_(std::make_unique<detail::channel_hub>()),
    services_(std::make_unique<detail::service_table>()),
    readers_(std::make_unique<detail::shm_readers>()),
    audit_(std::make_unique<detail::audit_trail>()) {
  attach(sys_, this);
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
  detach(sys_);
  shutdown();
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
  std::lock_guard lock{nodes_mutex};
  if (auto* n = find_node(sys))
    f(*n);
}

node* node::of(caf::actor_system& sys) noexcept {
  return find_node(sys);
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
