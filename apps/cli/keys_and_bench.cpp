// `dxhub keygen` (CURVE key pairs for remote nodes, or all of a deployment's) and `dxhub bench`
// (the benchmark suite, a separate program found next to this one).

#include "dxhub/launch/deployment.hpp"
#include "dxhub/transports/zmq/security.hpp"

#include "command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>
#include <vector>

namespace dxhub::cli {

namespace {

struct keygen_options {
  std::string dir;
  std::string deployment;
  std::string name = "node";
  bool force = false;
  bool json = false;
};

/// One key pair a deployment's `[security]` names, and who uses it.
struct named_key {
  std::string secret_file;
  std::vector<std::string> users;
};

/// `keygen --deployment FILE`: every key pair `[security]` names (one per
/// node, one for an embedded registry), then the allow-list of all their
/// public keys. Nothing is written when a file exists (without --force).
int run_deployment_keygen(const keygen_options& o) {
  auto dep = launch::load_deployment(o.deployment);
  if (!dep)
    return report("keygen", dep.error());
  const auto& d = dep.value();
  if (!d.security.enabled)
    return report("keygen",
                  {errc::config_error, o.deployment
                                           + ": no [security] table: it names no key files "
                                             "(add [security] key_dir = \"keys\")"});
  std::vector<named_key> keys;
  auto add = [&keys](const std::string& file, const std::string& user) {
    for (auto& k : keys)
      if (k.secret_file == file) {
        k.users.push_back(user);
        return;
      }
    keys.push_back({file, {user}});
  };
  for (const auto& n : d.nodes)
    add(d.security.node_keys.at(n.name), n.name);
  if (d.registry.node.empty())
    add(d.security.registry_key, "registry");
  if (!o.force) {
    std::vector<std::string> files{d.security.allow_file};
    for (const auto& k : keys) {
      files.push_back(k.secret_file);
      files.push_back(k.secret_file + ".pub");
    }
    for (const auto& f : files)
      if (std::filesystem::exists(f))
        return report("keygen", {errc::already_exists,
                                 f + " exists (--force replaces every key of the deployment)"});
  }
  nlohmann::json made = nlohmann::json::array();
  std::string allowed = "# dxhub: public keys allowed in deployment '" + d.name + "'\n";
  for (const auto& k : keys) {
    std::error_code ec;
    auto dir = std::filesystem::path{k.secret_file}.parent_path();
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return report("keygen",
                    {errc::system_error, "cannot create '" + dir.string() + "': " + ec.message()});
    auto pair = zmq::generate_keypair();
    if (auto saved = zmq::save_keypair(k.secret_file, pair); !saved)
      return report("keygen", saved.error());
    std::string users;
    for (const auto& u : k.users)
      users += (users.empty() ? "" : ", ") + u;
    allowed += "# " + users + "\n" + pair.public_key + "\n";
    made.push_back({{"users", k.users},
                    {"secret_file", k.secret_file},
                    {"public_file", k.secret_file + ".pub"},
                    {"public_key", pair.public_key}});
  }
  {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path{d.security.allow_file}.parent_path(),
                                        ec);
    auto tmp = d.security.allow_file + ".tmp";
    std::ofstream out{tmp, std::ios::trunc};
    out << allowed;
    out.close();
    if (!out)
      return report("keygen", {errc::system_error, "cannot write " + tmp});
    std::filesystem::permissions(tmp, std::filesystem::perms{0644},
                                 std::filesystem::perm_options::replace, ec);
    std::filesystem::rename(tmp, d.security.allow_file, ec);
    if (ec)
      return report("keygen", {errc::system_error,
                               "cannot write " + d.security.allow_file + ": " + ec.message()});
  }
  if (o.json) {
    print_json({{"deployment", d.name},
                {"key_dir", d.security.key_dir},
                {"allow_file", d.security.allow_file},
                {"keys", made}});
  } else {
    for (const auto& k : made)
      std::cout << "secret key: " << k["secret_file"].get<std::string>() << " (mode 0600, for "
                << k["users"].dump() << ")\n";
    std::cout << "allow-list: " << d.security.allow_file << " (" << made.size() << " public keys)"
              << std::endl;
  }
  return exit_ok;
}

int run_keygen(const keygen_options& o) {
  if (!o.deployment.empty() && !o.dir.empty())
    return report("keygen", {errc::invalid_argument,
                             "give a directory or --deployment FILE, not both (the deployment's "
                             "[security] key_dir says where its keys go)"});
  if (!o.deployment.empty())
    return run_deployment_keygen(o);
  if (o.dir.empty())
    return report("keygen", {errc::invalid_argument, "give a directory or --deployment FILE"});
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec)
    return report("keygen", {errc::system_error, "cannot create '" + o.dir + "': " + ec.message()});
  auto path = std::filesystem::path{o.dir} / (o.name + ".key");
  if (std::filesystem::exists(path) && !o.force)
    return report("keygen",
                  {errc::already_exists, path.string() + " exists (--force replaces it)"});
  auto keys = zmq::generate_keypair();
  if (auto saved = zmq::save_keypair(path, keys); !saved)
    return report("keygen", saved.error());
  nlohmann::json doc{{"secret_file", path.string()},
                     {"public_file", path.string() + ".pub"},
                     {"public_key", keys.public_key}};
  if (o.json)
    print_json(doc);
  else
    std::cout << "secret key: " << path.string() << " (mode 0600)\npublic key: " << path.string()
              << ".pub\n  " << keys.public_key << std::endl;
  return exit_ok;
}

/// The benchmark suite program: next to `dxhub` once installed, or in the
/// build tree's benchmarks/suite.
std::string find_bench_suite() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return {};
  auto dir = self.parent_path();
  for (auto candidate :
       {dir / "dxhub-bench-suite", dir / ".." / "benchmarks" / "suite" / "dxhub-bench-suite"})
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  return {};
}

int run_bench(const std::vector<std::string>& args) {
  auto program = find_bench_suite();
  if (program.empty())
    return report("bench", {errc::unknown_command,
                            "dxhub-bench-suite not found next to dxhub (build the benchmarks: "
                            "cmake --build build --target dxhub-bench-suite)"});
  std::vector<char*> argv;
  argv.push_back(program.data());
  auto copy = args;
  for (auto& a : copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(program.c_str(), argv.data());
  return report("bench", last_system_error("execv " + program));
}

} // namespace

void add_keygen(CLI::App& app, int& rc) {
  auto o = std::make_shared<keygen_options>();
  auto* cmd = app.add_subcommand(
      "keygen", "make a CURVE key pair for a node (remote hosts), or every key of a deployment");
  cmd->add_option("dir", o->dir, "directory for the key files");
  cmd->add_option("--deployment", o->deployment,
                  "make every key file the deployment's [security] names, and its allow-list")
      ->check(CLI::ExistingFile);
  cmd->add_option("--name", o->name, "file name stem: DIR/NAME.key and DIR/NAME.key.pub")
      ->capture_default_str();
  cmd->add_flag("--force", o->force, "replace existing key files");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &rc] { rc = run_keygen(*o); });
}

void add_bench(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "bench", "run the benchmark suite: `dxhub bench [--quick] [--out DIR] [--json]` passes "
               "every argument to dxhub-bench-suite (`dxhub bench -- --help` lists them)");
  // Everything after `bench` belongs to the suite, options included: the
  // first argument this command does not know ends its own parsing.
  // (`dxhub bench -- ARGS`, the older spelling, reaches here without the
  // `--`: main.cpp drops it.)
  cmd->prefix_command();
  cmd->callback([cmd, &rc] { rc = run_bench(cmd->remaining()); });
}

} // namespace dxhub::cli
