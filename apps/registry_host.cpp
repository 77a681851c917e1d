#include "dxhub/apps/registry_host.hpp"

#include "dxhub/actors/registry.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"

#include <caf/all.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace dxhub::apps {

namespace {

using namespace std::chrono_literals;

/// True when the registry of `sys` lists node `name`.
bool lists_node(caf::actor_system& sys, const std::string& name) {
  caf::scoped_actor self{sys};
  bool listed = false;
  runtime::lookup(self.ptr(), runtime::registry_service)
      .receive(
          [&](const runtime::service& registry) {
            runtime::call(self.ptr(), registry, "list", runtime::registry_query{name})
                .receive(
                    [&](const reply& r) {
                      auto found = runtime::result_of<runtime::registry_records>(r);
                      if (!found)
                        return;
                      for (const auto& rec : found.value().records)
                        listed = listed || (rec.kind == entry_kind::node && rec.name == name);
                    },
                    [](caf::error&) {});
          },
          [](caf::error&) {});
  return listed;
}

/// Waits (bounded) until the registry lists its own node: a registry that
/// says it serves answers `ls` with itself. Its node registered before the
/// registry actor served, and retries within a tenth of a second.
void await_own_record(caf::actor_system& sys, const std::string& name) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!lists_node(sys, name) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
}

} // namespace

runtime::node_options registry_node_options(const std::string& endpoint, std::string name,
                                            std::string run_token, const registry_security& keys) {
  runtime::node_options opts;
  opts.name = std::move(name);
  opts.run_token = std::move(run_token);
  opts.endpoint = endpoint;
  opts.registry = endpoint;
  // The registry's process hosts no channels.
  opts.shared_memory = false;
  if (!keys.secret_file.empty()) {
    opts.curve_secret_file = keys.secret_file;
    opts.curve_allow_file = keys.allow_file;
    opts.registry_public_file = keys.secret_file + ".pub";
    opts.allow_remote = true;
  }
  opts.host_id = keys.host_id;
  return opts;
}

registry_host::registry_host(const std::string& endpoint, const std::string& node_name,
                             const std::string& run_token, const registry_security& keys)
  : endpoint_(endpoint), sys_(cfg_),
    node_(sys_, registry_node_options(endpoint, node_name, run_token, keys)) {}

expected<std::unique_ptr<registry_host>> registry_host::start(const std::string& endpoint,
                                                              const std::string& node_name,
                                                              actors::registry_options options,
                                                              const registry_security& keys) {
  std::unique_ptr<registry_host> host{
      new registry_host(endpoint, node_name, options.run_token, keys)};
  if (const auto& failed = host->node_.startup_error())
    return error{failed->code, "registry at " + endpoint + ": " + failed->context};
  host->registry_ = actors::spawn_registry(host->sys_, std::move(options));
  await_own_record(host->sys_, node_name);
  return host;
}

registry_host::~registry_host() {
  if (registry_)
    caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
  node_.shutdown();
}

expected<std::string> make_run_dir(const std::string& deployment) {
  auto base = runtime::with_defaults(runtime::node_options{}).runtime_dir;
  auto dir = base + "/" + deployment + "-" + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  ::chmod(base.c_str(), 0700);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return error{errc::system_error, "cannot create " + dir + ": " + std::strerror(errno)};
  return dir;
}

} // namespace dxhub::apps
