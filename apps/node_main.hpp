#pragma once

// The program of one node of a deployment, as a function: `dxhub-node` is
// `int main(int argc, char** argv) { return dxhub::apps::node_main(argc, argv); }`,
// and a lab that prefers its own node program to a plugin writes the same
// main after registering its actor types:
//
//   int main(int argc, char** argv) {
//     dxhub::runtime::register_actor_type("stage", spawn_stage);
//     return dxhub::apps::node_main(argc, argv);
//   }
//
// Arguments (`--help` lists them): --deployment FILE --node NAME, optional
// --registry, --plugin (repeatable; added to the node's `plugins`),
// --duration-s, and --list-types (prints the node's actor types as a JSON
// array and exits; `dxhub run` asks every node this before it starts).
//
// Exit codes: 0 stopped by SIGTERM/SIGINT or the duration; 1 a failure while
// running; 2 a configuration error, which the launcher does not restart
// (bad arguments or deployment, a plugin that does not load, an actor that
// cannot start, an endpoint that cannot be bound).

namespace dxhub::apps {

/// Runs one node until SIGTERM/SIGINT; returns the process's exit code.
int node_main(int argc, char** argv);

} // namespace dxhub::apps
