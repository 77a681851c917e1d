// dxhub-bench-suite: every benchmark program of dxhub in one run, with a
// report (table, CSV, plots) in --out DIR. `dxhub bench` calls the same run().

#include "dxhub/benchmarks/suite/report_files.hpp"
#include "dxhub/benchmarks/suite/suite.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>

namespace suite = dxhub::bench::suite;

namespace {

void print_progress(const suite::progress& p) {
  const auto& run = *p.run;
  if (p.starting)
    std::fprintf(stderr, "[%zu/%zu] %s: running %s\n", p.index, p.count, run.name.c_str(),
                 run.path.c_str());
  else if (run.result == suite::program_run::outcome::skipped)
    std::fprintf(stderr, "[%zu/%zu] %s: skipped (%s)\n", p.index, p.count, run.name.c_str(),
                 run.detail.c_str());
  else
    std::fprintf(stderr, "[%zu/%zu] %s: %s in %.1f s, %zu figures%s%s\n", p.index, p.count,
                 run.name.c_str(), suite::to_string(run.result).c_str(), run.seconds, run.figures,
                 run.result == suite::program_run::outcome::ok ? "" : ": ",
                 run.result == suite::program_run::outcome::ok ? "" : run.detail.c_str());
}

} // namespace

int main(int argc, char** argv) {
  suite::options opts;
  opts.out_dir = "dxhub-bench-results";
  opts.programs_dir = suite::default_programs_dir();
  CLI::App app{"dxhub-bench-suite: runs every dxhub benchmark program (baselines, shm, zmq, "
               "runtime) and writes results.csv, results.md and plots into --out"};
  app.add_flag("--quick", opts.quick, "fewer samples: a smoke run in under 2 minutes");
  app.add_option("--out", opts.out_dir, "output directory (created)")->capture_default_str();
  app.add_flag("--json", opts.json, "write results.json and print it instead of the table");
  app.add_option("--programs-dir", opts.programs_dir,
                 "where to look for the benchmark programs (and in its subfolders)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  opts.on_progress = print_progress;

  auto summary_result = suite::run(opts);
  if (!summary_result) {
    std::fprintf(stderr, "dxhub-bench-suite: %s\n", summary_result.error().what().c_str());
    return 2;
  }
  const auto& s = summary_result.value();
  if (opts.json) {
    std::fputs(suite::json_text(s).c_str(), stdout);
  } else {
    std::ifstream md{opts.out_dir / "results.md"};
    std::string text{std::istreambuf_iterator<char>{md}, std::istreambuf_iterator<char>{}};
    std::fputs(text.c_str(), stdout);
    std::fprintf(stdout, "\nwritten to %s\n", opts.out_dir.c_str());
  }
  bool clean = s.missing.empty();
  for (const auto& p : s.programs)
    clean = clean && p.result != suite::program_run::outcome::failed;
  return clean ? 0 : 1;
}
