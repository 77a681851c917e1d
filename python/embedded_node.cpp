#include "embedded_node.hpp"

#include "errors.hpp"
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <unistd.h>

namespace py = pybind11;

namespace dxhub::python {

namespace {

std::mutex global_mutex;
std::unique_ptr<embedded_node> the_node;
std::optional<runtime::node_options> configured;
bool stopped = false;

runtime::node_options defaults() {
  runtime::node_options o;
  if (const char* name = std::getenv("DXHUB_NODE_NAME"); name != nullptr && *name != '\0')
    o.name = name;
  else
    o.name = "py-" + std::to_string(::getpid());
  if (const char* registry = std::getenv("DXHUB_REGISTRY"))
    o.registry = registry;
  return o;
}

} // namespace

lent_actor::~lent_actor() {
  if (actor_ == nullptr)
    return;
  std::lock_guard lock{global_mutex};
  if (the_node != nullptr)
    the_node->give_back(std::move(actor_));
}

embedded_node::own_node::own_node(runtime::node_options options)
  : sys(cfg), node(sys, std::move(options)) {}

embedded_node::embedded_node(runtime::node_options options)
  : own_(std::make_unique<own_node>(std::move(options))), sys_(&own_->sys), node_(&own_->node) {}

embedded_node::embedded_node(runtime::node& adopted) : sys_(&adopted.system()), node_(&adopted) {}

void embedded_node::adopt(runtime::node& n) {
  std::lock_guard lock{global_mutex};
  if (the_node != nullptr || stopped)
    raise({errc::invalid_argument, "the node of this interpreter is already running"});
  the_node.reset(new embedded_node(n));
}

embedded_node::~embedded_node() = default;

embedded_node& embedded_node::get() {
  std::lock_guard lock{global_mutex};
  if (the_node == nullptr) {
    if (stopped)
      raise({errc::peer_down, "the dxhub node of this process has shut down"});
    // The node's threads start here; none of them ever needs the GIL.
    the_node.reset(new embedded_node(configured ? *configured : defaults()));
  }
  return *the_node;
}

void embedded_node::configure(runtime::node_options options) {
  std::lock_guard lock{global_mutex};
  if (the_node != nullptr || stopped)
    raise({errc::invalid_argument, "dxhub.init() must come before the first use of the node"});
  configured = std::move(options);
}

bool embedded_node::running() {
  std::lock_guard lock{global_mutex};
  return the_node != nullptr;
}

void embedded_node::track(const std::shared_ptr<closable>& c) {
  std::lock_guard lock{mutex_};
  std::erase_if(tracked_, [](const auto& w) { return w.expired(); });
  tracked_.push_back(c);
}

lent_actor embedded_node::lend() {
  {
    std::lock_guard lock{mutex_};
    if (!idle_actors_.empty()) {
      auto a = std::move(idle_actors_.back());
      idle_actors_.pop_back();
      return lent_actor{std::move(a)};
    }
  }
  return lent_actor{std::make_unique<caf::scoped_actor>(*sys_)};
}

void embedded_node::give_back(std::unique_ptr<caf::scoped_actor> a) {
  // A live scoped actor keeps a host's actor system from shutting down.
  if (adopted())
    return;
  std::lock_guard lock{mutex_};
  idle_actors_.push_back(std::move(a));
}

void embedded_node::shutdown() {
  std::unique_ptr<embedded_node> n;
  {
    std::lock_guard lock{global_mutex};
    stopped = true;
    n = std::move(the_node);
  }
  if (n == nullptr)
    return;
  // Runtime threads may wait for a service handler that waits for the GIL.
  py::gil_scoped_release nogil;
  std::vector<std::shared_ptr<closable>> open;
  {
    std::lock_guard lock{n->mutex_};
    for (auto& w : n->tracked_)
      if (auto c = w.lock())
        open.push_back(std::move(c));
    n->tracked_.clear();
    n->idle_actors_.clear();
  }
  for (auto& c : open)
    c->close();
  // An adopted node belongs to its host process, which stops it.
  if (n->own_ != nullptr)
    n->node_->shutdown();
  // ~actor_system waits for every actor: the closed objects hold none.
  n.reset();
}

} // namespace dxhub::python
