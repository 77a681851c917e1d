#include "dxhub/benchmarks/suite/suite.hpp"

#include "dxhub/benchmarks/suite/comparison.hpp"
#include "dxhub/benchmarks/suite/host.hpp"
#include "dxhub/benchmarks/suite/plots.hpp"
#include "dxhub/benchmarks/suite/program.hpp"
#include "dxhub/benchmarks/suite/report_files.hpp"
#include "dxhub/benchmarks/suite/result_line.hpp"

#include <algorithm>
#include <set>

namespace dxhub::bench::suite {

namespace fs = std::filesystem;

namespace {

// The whole suite must finish in 10 minutes (full) or 2 (quick), plots
// included: the programs share this budget, and one that would overrun it is
// stuck, not slow - it is stopped and reported as failed.
std::chrono::seconds budget(bool quick) {
  return std::chrono::seconds(quick ? 110 : 570);
}

void report(const options& opts, std::size_t index, bool starting, const program_run& run) {
  if (opts.on_progress)
    opts.on_progress({index + 1, known_programs().size(), starting, &run});
}

/// The memory a whole program needed, measured by the suite (wait4).
figure peak_rss_figure(const std::string& program, long kib) {
  return {"mem", short_name(program), "whole_program",
          "-",   "peak_rss",          static_cast<double>(kib) / 1024.0,
          "MiB"};
}

/// Runs one program with --results and keeps its figures.
program_run run_one(const options& opts, const std::string& name, const fs::path& path,
                    const fs::path& log, std::chrono::seconds time_left,
                    std::vector<measured>& figures) {
  program_run run{name, path, program_run::outcome::ok, 0, 0, 0, log.filename().string()};
  std::vector<std::string> args{"--results"};
  if (opts.quick)
    args.push_back("--quick");
  auto start = std::chrono::steady_clock::now();
  auto output_result = run_program(path, args, time_left, log);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!output_result) {
    run.result = program_run::outcome::failed;
    run.detail = output_result.error().what();
    return run;
  }
  const auto& output = output_result.value();
  for (const auto& line : output.lines)
    if (auto f = parse_result_line(line)) {
      figures.push_back({name, std::move(*f)});
      ++run.figures;
    }
  run.exit_code = output.exit_code;
  if (output.peak_rss_kib > 0)
    figures.push_back({name, peak_rss_figure(name, output.peak_rss_kib)});
  if (output.timed_out || output.exit_code != 0 || run.figures == 0) {
    run.result = program_run::outcome::failed;
    run.detail = (output.timed_out ? std::string{"timed out"}
                                   : "exit code " + std::to_string(output.exit_code))
                 + ", " + std::to_string(run.figures) + " figures; see " + log.filename().string();
  }
  return run;
}

/// Expected rows of the programs that ran but did not print them.
std::vector<std::string> missing_rows(const summary& s) {
  std::set<std::string> present;
  for (const auto& m : s.figures)
    present.insert(m.program + ": " + row_key(m.value));
  std::vector<std::string> missing;
  for (const auto& p : s.programs) {
    if (p.result == program_run::outcome::skipped)
      continue;
    for (const auto& row : expected_rows(p.name))
      if (!present.contains(p.name + ": " + row))
        missing.push_back(p.name + ": " + row);
  }
  return missing;
}

} // namespace

const std::vector<std::string>& known_programs() {
  static const std::vector<std::string> programs = {
      "dxhub-bench-baselines", "dxhub-bench-shm",    "dxhub-bench-zmq",      "dxhub-bench-runtime",
      "dxhub-bench-recording", "dxhub-bench-python", "dxhub-bench-dashboard"};
  return programs;
}

fs::path default_programs_dir() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return fs::current_path(ec);
  auto here = self.parent_path();
  for (const auto& name : known_programs())
    if (fs::exists(here / name, ec))
      return here;
  for (auto dir = here; dir.has_relative_path(); dir = dir.parent_path())
    if (fs::exists(dir / "CMakeCache.txt", ec) && fs::is_directory(dir / "benchmarks", ec))
      return dir / "benchmarks";
  return here.parent_path();
}

std::string to_string(program_run::outcome o) {
  switch (o) {
    case program_run::outcome::ok:
      return "ok";
    case program_run::outcome::skipped:
      return "skipped";
    case program_run::outcome::failed:
      return "failed";
  }
  return "unknown";
}

expected<summary> run(const options& opts) {
  std::error_code ec;
  fs::create_directories(opts.out_dir, ec);
  if (ec || !fs::is_directory(opts.out_dir))
    return error{errc::invalid_argument,
                 "cannot create output directory " + opts.out_dir.string() + ": " + ec.message()};
  const auto suite_start = std::chrono::steady_clock::now();
  summary s;
  s.host = this_host();
  s.quick = opts.quick;
  const auto& names = known_programs();
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto path = find_program(opts.programs_dir, names[i]);
    if (!path) {
      program_run skipped{names[i],
                          {},
                          program_run::outcome::skipped,
                          0,
                          0,
                          0,
                          "not found under " + opts.programs_dir.string()};
      report(opts, i, false, skipped);
      s.programs.push_back(std::move(skipped));
      continue;
    }
    auto time_left = std::chrono::duration_cast<std::chrono::seconds>(
        budget(opts.quick) - (std::chrono::steady_clock::now() - suite_start));
    if (time_left.count() < 5) {
      program_run late{names[i],
                       *path,
                       program_run::outcome::failed,
                       0,
                       0,
                       0,
                       "not run: the suite's time budget is spent"};
      report(opts, i, false, late);
      s.programs.push_back(std::move(late));
      continue;
    }
    program_run starting{names[i], *path, program_run::outcome::skipped, 0, 0, 0, ""};
    report(opts, i, true, starting);
    auto log = opts.out_dir / (names[i] + ".log");
    s.programs.push_back(run_one(opts, names[i], *path, log, time_left, s.figures));
    s.files.push_back(log);
    report(opts, i, false, s.programs.back());
  }
  s.ratios = key_ratios(figure_index{s.figures});
  s.missing = missing_rows(s);
  for (const auto& m : s.figures)
    if (!valid_value(m.value) && m.value.section != "ratio")
      s.notes.push_back("not a positive number: " + m.program + ": " + row_key(m.value));
  auto plots = draw_plots(s, opts.out_dir, s.notes);
  for (const auto& p : plots) {
    s.files.push_back(p);
    s.files.push_back(fs::path{p}.replace_extension(".gp"));
  }
  s.files.push_back(opts.out_dir / "results.tsv");
  s.files.push_back(opts.out_dir / "results.csv");
  s.files.push_back(opts.out_dir / "results.md");
  if (opts.json)
    s.files.push_back(opts.out_dir / "results.json");
  DXHUB_TRYV(write_text(opts.out_dir / "results.tsv", result_lines_text(s)));
  DXHUB_TRYV(write_text(opts.out_dir / "results.csv", csv_text(s)));
  DXHUB_TRYV(write_text(opts.out_dir / "results.md", markdown_text(s, plots)));
  if (opts.json)
    DXHUB_TRYV(write_text(opts.out_dir / "results.json", json_text(s)));
  return s;
}

} // namespace dxhub::bench::suite
