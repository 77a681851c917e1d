// `dxhub keygen` (CURVE key pairs for remote nodes) and `dxhub bench` (the
// benchmark suite, a separate program found next to this one).

#include "dxhub/transports/zmq/security.hpp"

#include "command.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>
#include <vector>

namespace dxhub::cli {

namespace {

struct keygen_options {
  std::string dir;
  std::string name = "node";
  bool force = false;
  bool json = false;
};

int run_keygen(const keygen_options& o) {
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
  auto* cmd = app.add_subcommand("keygen", "make a CURVE key pair for a node (remote hosts)");
  cmd->add_option("dir", o->dir, "directory for the key files")->required();
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
