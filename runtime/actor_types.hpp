#pragma once

// The actor types a node can host, by name: a deployment file says
// `type = "simulated_camera"`, and `dxhub-node` spawns it through this
// registry. Stock actors register themselves (actors/stock_actors.hpp); user
// code registers its own types the same way before the node starts them.

#include "dxhub/schemas/arguments.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::runtime {

/// What a factory gets to start one actor of its type.
struct actor_args {
  /// Unique in the deployment: the actor's label and default service name.
  std::string name;
  /// The actor's parameters, a JSON object (missing keys take defaults).
  nlohmann::json params = nlohmann::json::object();
  /// Channels the deployment says it publishes and subscribes to.
  std::vector<std::string> publishes;
  std::vector<std::string> subscribes;

  /// Parameter `key`, or `fallback` when the deployment leaves it out. A value
  /// of the wrong type throws `std::invalid_argument` naming the parameter and
  /// the type it wants (`spawn_actor` turns it into `invalid_argument`).
  template <class T>
  T param(const std::string& key, T fallback) const {
    auto it = params.find(key);
    if (it == params.end() || it->is_null())
      return fallback;
    try {
      dxhub::detail::read_value(*it, fallback);
    } catch (const std::exception&) {
      throw std::invalid_argument("parameter '" + key + "' must be "
                                  + dxhub::detail::json_kind_of<T>() + ", got "
                                  + dxhub::detail::shown_value(*it));
    }
    return fallback;
  }

  std::string param(const std::string& key, const char* fallback) const {
    return param(key, std::string{fallback});
  }
};

/// Spawns one actor of a type with fresh state; bad parameters are an error
/// value (`invalid_argument`, naming the parameter), never an exception.
using actor_factory = std::function<expected<caf::actor>(caf::actor_system&, const actor_args&)>;

/// Registers (or replaces) actor type `type`. Thread-safe.
void register_actor_type(std::string type, actor_factory factory);

/// Spawns an actor of type `type`; an unknown type is `unknown_actor_type`
/// with the known types listed in the context.
expected<caf::actor> spawn_actor(caf::actor_system& sys, std::string_view type,
                                 const actor_args& args);

/// True when `type` is registered.
bool has_actor_type(std::string_view type);

/// The registered type names, sorted.
std::vector<std::string> actor_types();

} // namespace dxhub::runtime
