#include "dxhub/runtime/node_options.hpp"

#include "dxhub/runtime/host.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <unistd.h>

namespace dxhub::runtime {

node_options with_defaults(node_options options) {
  if (options.name.empty())
    options.name = local_host_name() + "-" + std::to_string(getpid());
  if (options.host_id.empty())
    options.host_id = local_host_id();
  if (options.runtime_dir.empty()) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    options.runtime_dir = xdg != nullptr && *xdg != '\0' ? std::string{xdg} + "/dxhub"
                                                         : "/tmp/dxhub-" + std::to_string(getuid());
  }
  if (options.run_token.empty())
    if (const char* token = std::getenv("DXHUB_RUN_TOKEN"))
      options.run_token = token;
  if (options.endpoint.empty()) {
    auto file = options.name;
    std::replace(file.begin(), file.end(), '/', '.');
    options.endpoint = "ipc://" + options.runtime_dir + "/" + file + ".node";
  }
  return options;
}

} // namespace dxhub::runtime
