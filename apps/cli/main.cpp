// dxhub: the command line of the Data Exchange Hub. One subcommand per task
// (`dxhub --help` lists them); every one has --help, listing commands have
// --json, and the exit codes are those of cli/exit_codes.hpp.

#include "command.hpp"

#include <iostream>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  using namespace dxhub::cli;
  CLI::App app{"dxhub: run, inspect and talk to a dxhub deployment"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string{"dxhub 0.1.0"});
  int rc = exit_ok;
  for (auto add :
       {add_run, add_registry, add_ls, add_inspect, add_send, add_tail, add_write, add_read,
        add_relay, add_keygen, add_bench, add_record, add_verify, add_replay, add_dashboard})
    add(app, rc);
  // `dxhub bench -- ARGS`, the older spelling of `dxhub bench ARGS`.
  std::vector<char*> args(argv, argv + argc);
  if (args.size() > 2 && std::string_view{args[1]} == "bench" && std::string_view{args[2]} == "--")
    args.erase(args.begin() + 2);
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  return rc;
}
