#include "dxhub/runtime/node_config.hpp"

#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/detail/worker_queue.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"

#include <caf/config_option_adder.hpp>

namespace dxhub::runtime {

node_config::node_config() {
  add_schema_types(*this);
  add_message_type<channel_status>("dxhub.channel_status");
  add_message_type<service>("dxhub.service");
  // Work sharing (idle workers sleep), woken without a lock ping-pong.
  load<detail::worker_pool>();
  set("scheduler.max-threads", 4);
  set("logger.verbosity", caf::atom("quiet"));
  opt_group{custom_options_, "dxhub"}
      .add(node.name, "node", "this node's name (default: <hostname>-<pid>)")
      .add(node.host_id, "host-id", "override the host identity (tests)")
      .add(node.registry, "registry", "registry endpoint (ipc://... or tcp://...)")
      .add(node.runtime_dir, "runtime-dir", "directory of ipc sockets")
      .add(node.tcp_bind, "tcp-bind", "address for tcp endpoints (loopback unless allow-remote)")
      .add(node.allow_remote, "allow-remote", "allow a non-loopback tcp address")
      .add(node.curve_secret_file, "curve-secret", "this node's CURVE secret key file")
      .add(node.curve_public_file, "curve-public", "this node's CURVE public key file")
      .add(node.curve_allow_file, "curve-allow", "file of allowed peers' CURVE public keys")
      .add(node.registry_public_file, "registry-public", "the registry's CURVE public key file");
}

} // namespace dxhub::runtime
