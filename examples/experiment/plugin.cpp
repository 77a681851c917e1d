// The plugin's one entry point: the actor types a node gets when its
// deployment says `plugins = ["build/libmyexp_actors.so"]`.

#include "dxhub/runtime/actor_plugin.hpp"

#include "scan.hpp"
#include "stage.hpp"

DXHUB_ACTOR_PLUGIN(types) {
  types.add("stage", myexp::spawn_stage);
  types.add("scan", myexp::spawn_scan);
}
