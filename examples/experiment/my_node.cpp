// A node program of the lab's own, instead of the plugin: the same actor
// types, registered before dxhub's node takes over. A deployment names it
// with `program = "build/myexp-node"` on a node.

#include "dxhub/apps/node_main.hpp"
#include "dxhub/runtime/actor_types.hpp"

#include "scan.hpp"
#include "stage.hpp"

int main(int argc, char** argv) {
  dxhub::runtime::register_actor_type("stage", myexp::spawn_stage);
  dxhub::runtime::register_actor_type("scan", myexp::spawn_scan);
  return dxhub::apps::node_main(argc, argv);
}
