#pragma once

// Which actor types a node of a deployment will have. A node hosts the stock
// types, the types of the plugins its `plugins` list names, or those of its
// own program; only the node's program knows, so `dxhub run` asks it
// (`PROGRAM --deployment FILE --node NAME --list-types` prints a JSON array)
// before it starts anything, and refuses a deployment that names a type its
// node will not have.

#include "dxhub/launch/deployment.hpp"
#include "dxhub/schemas/expected.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace dxhub::launch {

/// The program that hosts `node`: its own `program` (relative to the
/// deployment file), else `default_program`.
std::string node_program_of(const deployment& d, const node_spec& node,
                            const std::string& default_program);

/// Asks `program` which actor types node `node` of `deployment_file` has.
/// A program that fails, hangs past `timeout` or prints no JSON array is a
/// `config_error` naming the node and what the program said.
expected<std::vector<std::string>> ask_actor_types(const std::string& program,
                                                   const std::string& deployment_file,
                                                   const std::string& node,
                                                   std::chrono::milliseconds timeout);

/// The actor types of one node, or why they are not known.
using node_types_source = std::function<expected<std::vector<std::string>>(const node_spec&)>;

/// Checks each actor of `d` against the types its own node has; a type its
/// node lacks is `config_error` "FILE:LINE: field 'nodes[i].actors[j].type':
/// node 'N' has no actor type 'T' (it has: ...)". Nodes for which
/// `types_of` is not asked (`is_local` false) are skipped.
expected<void> check_actor_types(const deployment& d, const node_types_source& types_of,
                                 const std::function<bool(const node_spec&)>& is_local);

} // namespace dxhub::launch
