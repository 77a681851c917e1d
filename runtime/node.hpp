#pragma once

#include "dxhub/runtime/node_options.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::runtime {

class node_attachment;

namespace detail {
class audit_trail;
class channel_hub;
class network;
struct node_access;
struct node_parts;
class remote_calls;
class shm_readers;
class service_table;
} // namespace detail

/// One process's place in a dxhub system: it joins an actor system to the
/// transports, the registry and the other nodes. Create one per actor system
/// (after the system, before the actors that use channels or services) and
/// keep it alive while they run; its destructor stops the runtime's actors
/// and threads.
class node {
public:
  /// `sys` must be made from a `node_config` (a `node_attachment`) and have
  /// no node yet (else
  /// std::invalid_argument or std::logic_error: a programming error).
  node(caf::actor_system& sys, node_options options);
  ~node();

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// The node attached to `sys` (through its `node_config`), or nullptr.
  /// Takes no lock.
  static node* of(caf::actor_system& sys) noexcept;

  /// Runs `f` with the node of `sys` if it still exists, keeping it alive
  /// meanwhile: for cleanups of actors that may outlive their node.
  static void with_node(caf::actor_system& sys, const std::function<void(node&)>& f);

  /// Like `of`, but an error value naming the problem when there is none.
  static expected<node*> require(caf::actor_system& sys);

  caf::actor_system& system() noexcept { return sys_; }

  /// Why the node could not open its network endpoint (then it serves only
  /// its own process), or nothing.
  const std::optional<error>& startup_error() const noexcept { return startup_error_; }

  /// Where other nodes reach this one, or empty when not networked.
  std::string endpoint() const;
  const node_options& options() const noexcept;
  const std::string& name() const noexcept { return options().name; }
  const std::string& host_id() const noexcept { return options().host_id; }

  /// The label of actor `id` set with `set_label`, or empty.
  std::string label(caf::actor_id id) const;
  void set_label(caf::actor_id id, std::string label);
  void forget_label(caf::actor_id id);

  /// A fresh id for commands sent from this node.
  uint64_t next_command_id() noexcept;

  /// Publishes an event from code that is not an actor.
  void emit(event e);

  /// Stops the runtime's actors and threads (the destructor does it too).
  void shutdown();

private:
  // The runtime's own functions reach the parts below through it
  // (runtime/detail/node_access.hpp); users of a node never see them.
  friend struct detail::node_access;

  void attach();
  void detach();

  caf::actor_system& sys_;
  const node_attachment& config_;
  // First: the parts below hold a reference to it.
  std::unique_ptr<detail::node_parts> parts_;
  std::unique_ptr<detail::channel_hub> channels_;
  std::unique_ptr<detail::service_table> services_;
  std::unique_ptr<detail::shm_readers> readers_;
  std::unique_ptr<detail::audit_trail> audit_;
  // Before the network: its thread answers calls until it is gone.
  std::unique_ptr<detail::remote_calls> calls_;
  // Shared: channel writers reach it by weak handles.
  std::shared_ptr<detail::network> network_;
  bool stopped_ = false;
  std::optional<error> startup_error_;
  mutable std::mutex labels_mutex_;
  std::map<caf::actor_id, std::string> labels_;
};

} // namespace dxhub::runtime
