// dxhub-node: the generic host of one node of a deployment. The launcher
// (`dxhub run`) starts one per node as
//   dxhub-node --deployment FILE --node NAME
// It loads the node's actor plugins, spawns the node's actors by type under a
// supervisor, beats its heartbeat (when started by a launcher) and runs until
// SIGTERM or SIGINT (apps/node_main.hpp).

#include "dxhub/apps/node_main.hpp"

int main(int argc, char** argv) {
  return dxhub::apps::node_main(argc, argv);
}
