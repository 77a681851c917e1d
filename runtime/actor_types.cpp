#include "dxhub/runtime/actor_types.hpp"

#include <caf/actor_system.hpp>

#include <exception>
#include <map>
#include <mutex>

namespace dxhub::runtime {

namespace {

struct type_table {
  std::mutex mutex;
  std::map<std::string, actor_factory, std::less<>> factories;
};

type_table& table() {
  static type_table instance;
  return instance;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names)
    text += (text.empty() ? "" : ", ") + n;
  return text.empty() ? "none" : text;
}

} // namespace

void register_actor_type(std::string type, actor_factory factory) {
  auto& t = table();
  std::lock_guard<std::mutex> guard{t.mutex};
  t.factories[std::move(type)] = std::move(factory);
}

expected<caf::actor> spawn_actor(caf::actor_system& sys, std::string_view type,
                                 const actor_args& args) {
  actor_factory factory;
  {
    auto& t = table();
    std::lock_guard<std::mutex> guard{t.mutex};
    if (auto it = t.factories.find(type); it != t.factories.end())
      factory = it->second;
  }
  if (!factory)
    return error{errc::unknown_actor_type, "no actor type '" + std::string{type}
                                               + "' (known: " + joined(actor_types()) + ")"};
  // Factories read untrusted parameters with nlohmann, which throws on a
  // wrong type: that is bad input, reported as a value.
  try {
    return factory(sys, args);
  } catch (const std::exception& e) {
    return error{errc::invalid_argument,
                 "actor '" + args.name + "' of type '" + std::string{type} + "': " + e.what()};
  }
}

bool has_actor_type(std::string_view type) {
  auto& t = table();
  std::lock_guard<std::mutex> guard{t.mutex};
  return t.factories.find(type) != t.factories.end();
}

std::vector<std::string> actor_types() {
  auto& t = table();
  std::lock_guard<std::mutex> guard{t.mutex};
  std::vector<std::string> names;
  for (const auto& entry : t.factories)
    names.push_back(entry.first);
  return names;
}

} // namespace dxhub::runtime
