#include "cli_node.hpp"

#include "dxhub/apps/registry_host.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <filesystem>
#include <unistd.h>

namespace dxhub::cli {

namespace {

/// A socket directory of this command's own ("" when it cannot be made:
/// then the node's default).
std::string own_dir() {
  auto dir = apps::make_run_dir("cli");
  return dir ? dir.value() : std::string{};
}

runtime::node_options options_of(const std::string& registry, const std::string& dir) {
  runtime::node_options opts;
  opts.runtime_dir = dir;
  opts.name = "cli-" + std::to_string(::getpid());
  opts.registry = registry;
  // A command line tool publishes no channels; it only calls and listens.
  opts.shared_memory = false;
  return opts;
}

/// A failure to reach the registry says so, with the endpoint, so that the
/// user knows which setting to check.
error explain(error e, const std::string& registry, const std::string& what) {
  if (e.code == errc::timeout || e.code == errc::peer_down || e.code == errc::no_registry)
    return {errc::no_registry, "the registry at " + registry + " did not answer (" + what
                                   + "): is `dxhub run` or `dxhub registry` running there? ("
                                   + e.context + ")"};
  return e;
}

} // namespace

cli_node::cli_node(const std::string& registry)
  : registry_(registry), dir_(own_dir()), sys_(cfg_), node_(sys_, options_of(registry, dir_)) {}

cli_node::~cli_node() {
  node_.shutdown();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

expected<runtime::service> cli_node::find(caf::scoped_actor& self, const std::string& name,
                                          std::chrono::milliseconds timeout) {
  expected<runtime::service> found = error{errc::unknown_service, name};
  runtime::lookup(self.ptr(), name, timeout)
      .receive(
          [&](const runtime::service& s) { found = s; },
          [&](caf::error& e) { found = explain(from_caf_error(e), registry_, "lookup " + name); });
  return found;
}

expected<std::vector<registry_record>> cli_node::list(const std::string& prefix,
                                                      std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys_};
  DXHUB_TRY(registry, find(self, runtime::registry_service, timeout));
  expected<std::vector<registry_record>> out = std::vector<registry_record>{};
  runtime::call_json(self.ptr(), registry, "list",
                     json_text{encode_json(runtime::registry_query{prefix})}, timeout)
      .receive(
          [&](const reply& r) {
            auto records = runtime::result_of<runtime::registry_records>(r);
            if (records)
              out = std::move(records.value().records);
            else
              out = records.error();
          },
          [&](caf::error& e) { out = explain(from_caf_error(e), registry_, "list"); });
  return out;
}

} // namespace dxhub::cli
