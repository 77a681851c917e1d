#include "dxhub/runtime/actor_plugin.hpp"

#include <dlfcn.h>
#include <filesystem>

namespace dxhub::runtime {

namespace {

/// Registers with the process's actor types and remembers the names.
class recorded_types final : public actor_type_list {
public:
  void add(std::string type, actor_factory factory) override {
    names.push_back(type);
    register_actor_type(std::move(type), std::move(factory));
  }
  std::vector<std::string> names;
};

} // namespace

expected<std::vector<std::string>> load_actor_plugin(const std::string& path) {
  auto fail = [&](const std::string& why) {
    return error{errc::config_error, "actor plugin '" + path + "': " + why};
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fail(
        "no such file (build it first; relative paths start at the deployment file's folder)");
  // Kept loaded for the life of the process: its actors' code lives there.
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr)
    return fail(::dlerror());
  auto* entry = static_cast<const actor_plugin_entry*>(::dlsym(library, "dxhub_actor_plugin"));
  if (entry == nullptr)
    return fail("no DXHUB_ACTOR_PLUGIN(...) entry point (symbol dxhub_actor_plugin)");
  if (entry->abi != DXHUB_ACTOR_PLUGIN_ABI || entry->dxhub_version == nullptr
      || std::string{entry->dxhub_version} != DXHUB_VERSION_STRING)
    return fail(std::string{"built for dxhub "}
                + (entry->dxhub_version != nullptr ? entry->dxhub_version : "?") + " (plugin ABI "
                + std::to_string(entry->abi) + "), this node runs dxhub " + DXHUB_VERSION_STRING
                + " (plugin ABI " + std::to_string(DXHUB_ACTOR_PLUGIN_ABI)
                + "): rebuild the plugin against this dxhub");
  recorded_types types;
  try {
    entry->register_types(types);
  } catch (const std::exception& e) {
    return fail(std::string{"registering its types threw: "} + e.what());
  }
  if (types.names.empty())
    return fail("registers no actor type");
  return types.names;
}

} // namespace dxhub::runtime
