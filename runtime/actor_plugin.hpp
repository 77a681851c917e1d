#pragma once

// Actor plugins: a shared library of user actor types that a node loads when
// its deployment names it (`[[nodes]] plugins = ["build/libmyexp_actors.so"]`).
// A plugin has one entry point, written with the macro below:
//
//   #include "dxhub/runtime/actor_plugin.hpp"
//   DXHUB_ACTOR_PLUGIN(types) {
//     types.add("stage", spawn_stage);   // an actor_factory (actor_types.hpp)
//     types.add("scan", spawn_scan);
//   }
//
// and is built with `dxhub_add_actor_plugin(myexp_actors SOURCES ...)` from
// the installed CMake package. A node refuses a plugin built against another
// dxhub version (the runtime's types and messages must be the same on both sides).

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"

#include <string>
#include <vector>

/// The dxhub version a plugin is built against (the project's version).
#define DXHUB_VERSION_STRING "0.1.0"
/// Bumped when the plugin entry point itself changes.
#define DXHUB_ACTOR_PLUGIN_ABI 1

namespace dxhub::runtime {

/// What a plugin's entry point registers its actor types with.
class actor_type_list {
public:
  virtual ~actor_type_list() = default;
  /// Registers actor type `type`, spawned by `factory`.
  virtual void add(std::string type, actor_factory factory) = 0;
};

/// What every plugin exports, under the C name `dxhub_actor_plugin`.
struct actor_plugin_entry {
  int abi;
  const char* dxhub_version;
  void (*register_types)(actor_type_list& types);
};

/// Loads the plugin at `path` and registers its actor types; returns their
/// names. A missing file, a library that does not load, one without the entry
/// point or built for another dxhub is `config_error` naming the plugin.
expected<std::vector<std::string>> load_actor_plugin(const std::string& path);

} // namespace dxhub::runtime

#define DXHUB_ACTOR_PLUGIN(types)                                                                  \
  static void dxhub_register_plugin_types(::dxhub::runtime::actor_type_list& types);               \
  extern "C" __attribute__((visibility("default")))                                                \
  const ::dxhub::runtime::actor_plugin_entry dxhub_actor_plugin{                                   \
      DXHUB_ACTOR_PLUGIN_ABI, DXHUB_VERSION_STRING, &dxhub_register_plugin_types};                 \
  static void dxhub_register_plugin_types(::dxhub::runtime::actor_type_list& types)
