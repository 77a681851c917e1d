#include "dxhub/runtime/detail/registry_client.hpp"

#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/registry_protocol.hpp"

namespace dxhub::runtime::detail {

registry_client::registry_client(peer_clients& peers, node_parts& node)
  : peers_(peers), node_(node) {}

const std::string& registry_client::endpoint() const noexcept {
  return node_.options.registry;
}

command registry_client::command_for(std::string service, std::string name,
                                     std::string json_args) const {
  command cmd;
  cmd.id = node_.next_command_id();
  cmd.caller = node_.name();
  cmd.service = std::move(service);
  cmd.name = std::move(name);
  cmd.args = json_text{std::move(json_args)};
  return cmd;
}

void registry_client::call(const std::string& name, std::string json_args,
                           std::chrono::milliseconds timeout, reply_callback done) {
  if (!configured()) {
    done(error{errc::no_registry, "node '" + node_.name() + "' has no registry configured"});
    return;
  }
  auto cmd = command_for(std::string{registry_service}, name, std::move(json_args));
  cmd.timeout_ms = timeout.count();
  send(cmd, timeout, std::move(done));
}

void registry_client::send(const command& cmd, std::chrono::milliseconds timeout,
                           reply_callback done) {
  peers_.call(endpoint(), cmd, timeout, std::move(done));
}

} // namespace dxhub::runtime::detail
