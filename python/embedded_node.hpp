#pragma once

// The one node of a Python process: an actor system and a dxhub node, made
// at the first use of anything that needs them and stopped at interpreter
// exit (the package registers `_shutdown` with atexit). A Python process is
// thus a full participant: registry, shared memory, ZeroMQ, CURVE options.

#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/node_options.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace dxhub::python {

/// Something the node must close before it stops (subscriptions, publishers,
/// services, watches): Python may keep such objects alive past atexit.
class closable {
public:
  virtual ~closable() = default;
  /// Idempotent; safe to call from any thread with or without the GIL.
  virtual void close() = 0;
};

/// A blocking actor lent for one request (call, lookup, emit); handed back
/// to the node's pool when this goes.
class lent_actor {
public:
  explicit lent_actor(std::unique_ptr<caf::scoped_actor> a) : actor_(std::move(a)) {}
  ~lent_actor();
  lent_actor(lent_actor&&) = default;
  lent_actor& operator=(lent_actor&&) = delete;
  caf::scoped_actor& operator*() noexcept { return *actor_; }
  caf::scoped_actor* operator->() noexcept { return actor_.get(); }
  /// Ends the actor instead of handing it back: an answer it still awaits
  /// (an interrupted request) must not reach the next borrower.
  void drop() noexcept { actor_.reset(); }

private:
  std::unique_ptr<caf::scoped_actor> actor_;
};

class embedded_node {
public:
  /// The node, started with the options given to `configure` (or the
  /// defaults); raises `python_error` once the process has shut it down.
  static embedded_node& get();

  /// Sets the options of the node before it starts; an error once it runs.
  static void configure(runtime::node_options options);

  /// Whether the node has been started and not yet stopped.
  static bool running();

  /// Makes the node of a host process (a `dxhub-node` running Python actors)
  /// this interpreter's node instead of starting one; before any other use.
  static void adopt(runtime::node& n);

  /// Closes every registered object, stops the node and its actor system.
  static void shutdown();

  caf::actor_system& system() noexcept { return *sys_; }
  runtime::node& node() noexcept { return *node_; }

  /// Whether the node belongs to a host process (Python actors): then
  /// nothing is kept between calls (no pooled actor, no cached service), since
  /// the host stops its actor system without asking Python first.
  bool adopted() const noexcept { return own_ == nullptr; }

  /// Closes `c` at shutdown unless it is gone by then.
  void track(const std::shared_ptr<closable>& c);

  /// A blocking actor for one request.
  lent_actor lend();
  void give_back(std::unique_ptr<caf::scoped_actor> a);

  embedded_node(const embedded_node&) = delete;
  embedded_node& operator=(const embedded_node&) = delete;
  ~embedded_node();

private:
  explicit embedded_node(runtime::node_options options);
  explicit embedded_node(runtime::node& adopted);

  /// The system and node this process made (empty when adopted).
  struct own_node {
    explicit own_node(runtime::node_options options);
    runtime::node_config cfg;
    caf::actor_system sys;
    runtime::node node;
  };
  std::unique_ptr<own_node> own_;
  caf::actor_system* sys_ = nullptr;
  runtime::node* node_ = nullptr;
  std::mutex mutex_;
  std::vector<std::weak_ptr<closable>> tracked_;
  std::vector<std::unique_ptr<caf::scoped_actor>> idle_actors_;
};

} // namespace dxhub::python
