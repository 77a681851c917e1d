#pragma once

#include "dxhub/runtime/node_attachment.hpp"
#include "dxhub/runtime/node_options.hpp"

#include <string>

namespace dxhub::runtime {

/// An actor system configuration for dxhub nodes: every schema and runtime
/// message type registered, a work-sharing scheduler (an idle node uses no
/// CPU; CAF's work-stealing workers poll while idle) that wakes its workers
/// outside its lock (`detail::worker_pool`), and the node's options as
/// `--dxhub.*` command-line and config-file keys. A node attaches itself to
/// it (`node_attachment`).
class node_config : public node_attachment {
public:
  node_config();

  /// The node options as configured (defaults filled in by the node).
  node_options node;

private:
  std::string lease_text_;
};

} // namespace dxhub::runtime
