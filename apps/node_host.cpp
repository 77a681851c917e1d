#include "dxhub/apps/node_host.hpp"

#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <algorithm>
#include <atomic>
#include <iostream>

namespace dxhub::apps {

expected<runtime::actor_args> actor_args_of(const launch::actor_spec& spec) {
  runtime::actor_args args;
  args.name = spec.name;
  DXHUB_TRY(params, parse_json(spec.params.text));
  args.params = params.is_null() ? nlohmann::json::object() : std::move(params);
  args.publishes = spec.publishes;
  args.subscribes = spec.subscribes;
  return args;
}

namespace {

/// Errors that restarting cannot cure: the deployment must change.
bool is_configuration_error(errc code) {
  switch (code) {
    case errc::invalid_argument:
    case errc::config_error:
    case errc::unknown_actor_type:
    case errc::already_exists:
    case errc::schema_mismatch:
      return true;
    default:
      return false;
  }
}

actors::child_spec child_of(caf::actor_system& sys, const launch::actor_spec& spec,
                            runtime::actor_args args, start_failure_handler on_failure) {
  actors::child_spec child;
  child.name = spec.name;
  child.restart = spec.restart.kind;
  if (spec.restart.watchdog.count() > 0)
    child.watchdog = actors::watchdog_options{spec.restart.watchdog, spec.restart.watchdog};
  auto starts = std::make_shared<std::atomic<uint64_t>>(0);
  child.start = [&sys, type = spec.type, args, on_failure,
                 starts](caf::local_actor*) -> caf::actor {
    bool first = starts->fetch_add(1) == 0;
    auto spawned = runtime::spawn_actor(sys, type, args);
    if (!spawned) {
      // The node's stderr is the launcher's log: the one place this can go.
      std::cerr << "dxhub-node: actor '" << args.name << "': " << spawned.error().what()
                << std::endl;
      if (first && on_failure)
        on_failure(args.name, spawned.error());
      return caf::actor{};
    }
    if (first && on_failure)
      spawned.value()->attach_functor([name = args.name, on_failure](const caf::error& why) {
        auto e = from_caf_error(why);
        if (why && is_configuration_error(e.code))
          on_failure(name, e);
      });
    return spawned.value();
  };
  return child;
}

} // namespace

expected<caf::actor> spawn_node_supervisor(caf::actor_system& sys, runtime::node& n,
                                           const launch::node_spec& spec,
                                           start_failure_handler on_start_failure) {
  actors::supervisor_options options;
  options.name = spec.name;
  // One supervisor per node: it tolerates what its most tolerant actor asks for.
  for (const auto& a : spec.actors)
    if (a.restart.limits.max_restarts >= options.limits.max_restarts)
      options.limits = a.restart.limits;
  options.on_event = [&n](const event& e) { n.emit(e); };
  std::vector<actors::child_spec> children;
  for (const auto& a : spec.actors) {
    DXHUB_TRY(args, actor_args_of(a));
    children.push_back(child_of(sys, a, std::move(args), on_start_failure));
  }
  return actors::spawn_supervisor(sys, std::move(options), std::move(children));
}

} // namespace dxhub::apps
