// The launcher as `dxhub run FILE.toml` uses it, for tests: reports go to
// stdout as progress lines, errors to stderr; exit codes 0 (stopped or all
// nodes done), 2 (bad deployment), 3 (restart limit), 1 (other).

#include "dxhub/launch/deployment.hpp"
#include "dxhub/launch/launcher.hpp"

#include <cstdio>

using namespace dxhub;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DEPLOYMENT.toml\n", argv[0]);
    return 2;
  }
  auto plan = launch::load_deployment(argv[1]);
  if (!plan) {
    std::fprintf(stderr, "dxhub run: %s\n", plan.error().context.c_str());
    return 2;
  }
  launch::launcher_options options;
  options.on_report = [](const launch::launch_report& r) {
    std::printf("%s\n", r.line().c_str());
    std::fflush(stdout);
  };
  launch::launcher launcher{std::move(plan.value()), options};
  launch::launcher::stop_on_signals(launcher);
  auto done = launcher.run();
  if (!done) {
    std::fprintf(stderr, "dxhub run: %s\n", done.error().context.c_str());
    if (done.error() == errc::config_error)
      return 2;
    return done.error() == errc::restart_limit ? 3 : 1;
  }
  std::printf("deployment: done\n");
  return 0;
}
