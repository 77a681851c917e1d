#include "dxhub/launch/node_types.hpp"

#include "dxhub/launch/child_process.hpp"

#include <nlohmann/json.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace dxhub::launch {

namespace {

/// Everything written to `fd` (an anonymous file) from its start.
std::string contents_of(int fd) {
  std::string text;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  ssize_t n = 0;
  constexpr std::size_t most = 1 << 20; // a type list is small: do not trust a runaway program
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < most)
    text.append(buf, static_cast<std::size_t>(n));
  return text;
}

/// Waits for `child` until `timeout` (it may load plugins: not instant), then kills it.
std::optional<exit_status> wait_for(child_process& child, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto status = child.try_reap())
      return status;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  child.kill_and_reap();
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names)
    text += (text.empty() ? "" : ", ") + n;
  return text.empty() ? "none" : text;
}

} // namespace

std::string node_program_of(const deployment& d, const node_spec& node,
                            const std::string& default_program) {
  if (node.program.empty())
    return default_program;
  std::filesystem::path program{node.program};
  if (program.is_relative() && !d.file.empty())
    program = std::filesystem::path{d.file}.parent_path() / program;
  return program.string();
}

expected<std::vector<std::string>> ask_actor_types(const std::string& program,
                                                   const std::string& deployment_file,
                                                   const std::string& node,
                                                   std::chrono::milliseconds timeout) {
  int out = ::memfd_create("dxhub-node-types", MFD_CLOEXEC);
  if (out < 0)
    return error{errc::config_error,
                 "node '" + node + "': cannot ask its program for its actor types"};
  std::shared_ptr<void> close_out{nullptr, [out](void*) { ::close(out); }};
  process_options opts;
  opts.program = program;
  opts.args = {"--deployment", deployment_file, "--node", node, "--list-types"};
  opts.heartbeat = false;
  opts.stdout_fd = out;
  auto child = child_process::start(opts);
  if (!child)
    return error{errc::config_error, "node '" + node + "': " + child.error().context};
  auto status = wait_for(child.value(), timeout);
  auto said = contents_of(out);
  auto fail = [&](const std::string& why) {
    return error{errc::config_error, "node '" + node + "': `" + program + " --list-types` " + why};
  };
  if (!status)
    return fail("did not answer within " + std::to_string(timeout.count()) + " ms");
  if (status->abnormal())
    return fail(status->describe() + (said.empty() ? "" : ": " + said));
  auto doc = nlohmann::json::parse(said, nullptr, false);
  if (doc.is_discarded() || !doc.is_array())
    return fail("printed no JSON array of type names: " + said.substr(0, 200));
  std::vector<std::string> types;
  for (const auto& t : doc)
    if (t.is_string())
      types.push_back(t.get<std::string>());
  return types;
}

expected<void> check_actor_types(const deployment& d, const node_types_source& types_of,
                                 const std::function<bool(const node_spec&)>& is_local) {
  for (std::size_t i = 0; i < d.nodes.size(); ++i) {
    const auto& n = d.nodes[i];
    if (n.actors.empty() || (is_local && !is_local(n)))
      continue;
    DXHUB_TRY(types, types_of(n));
    for (std::size_t j = 0; j < n.actors.size(); ++j) {
      const auto& a = n.actors[j];
      if (std::find(types.begin(), types.end(), a.type) != types.end())
        continue;
      return error{errc::config_error,
                   d.file + ":" + std::to_string(a.type_line) + ": field 'nodes["
                       + std::to_string(i) + "].actors[" + std::to_string(j) + "].type': node '"
                       + n.name + "' has no actor type '" + a.type + "' (it has: " + joined(types)
                       + (n.plugins.empty()
                              ? "; a user type needs `plugins = [...]` or the node's own `program`"
                              : "")
                       + ")"};
    }
  }
  return ok();
}

} // namespace dxhub::launch
