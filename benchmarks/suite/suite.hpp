#pragma once

// The benchmark suite behind `dxhub bench`: runs every benchmark program of
// the project found next to it (each with `--results`), gathers their RESULT
// lines, and writes one report a user can trust - a CSV, a markdown table
// with the ratios against the baselines, a JSON summary and gnuplot plots.

#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/schemas/expected.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace dxhub::bench::suite {

/// The programs the suite knows, in the order it runs them (baselines first).
const std::vector<std::string>& known_programs();

/// Where the benchmark programs are, seen from the running executable: its own
/// folder when they are installed next to it (bin/), else the `benchmarks`
/// folder of the build tree it sits in, else its parent folder.
std::filesystem::path default_programs_dir();

/// What happened to one benchmark program.
struct program_run {
  enum class outcome { ok, skipped, failed };
  std::string name;
  std::filesystem::path path; // empty when skipped
  outcome result = outcome::skipped;
  int exit_code = 0;
  double seconds = 0;
  std::size_t figures = 0;
  std::string detail; // why skipped or failed; the log file otherwise
};

/// The name of an outcome: "ok", "skipped" or "failed".
std::string to_string(program_run::outcome);

/// A progress report: once when a program starts (result skipped, seconds 0,
/// `starting` true) and once when it ends.
struct progress {
  std::size_t index = 0; // 1-based position among known_programs()
  std::size_t count = 0;
  bool starting = false;
  const program_run* run = nullptr;
};

/// One figure and the program that measured it.
struct measured {
  std::string program;
  figure value;
};

/// A ratio that issue 8 asks for, computed when both figures exist.
struct key_ratio {
  std::string name;        // e.g. "shm busy-poll p50 / cache-line floor (64B)"
  std::string numerator;   // "lat shm spin 64B p50"
  std::string denominator; // "lat cacheline spin 64B p50"
  double value = 0;
};

/// The machine the figures come from.
struct host_info {
  std::string hostname;
  std::string kernel;
  std::string cpu_model;
  int cpus = 0;
  std::string date_utc; // ISO 8601
};

/// What `run` measured and wrote.
struct summary {
  host_info host;
  bool quick = false;
  std::vector<program_run> programs;
  std::vector<measured> figures;
  std::vector<key_ratio> ratios;
  std::vector<std::string> missing;         // expected rows a present program did not print
  std::vector<std::filesystem::path> files; // everything written to out_dir
  std::vector<std::string> notes;           // e.g. "gnuplot not found: no plots"
};

/// How to run the suite.
struct options {
  bool quick = false;                               ///< pass --quick to every program
  std::filesystem::path out_dir;                    ///< created if missing
  std::filesystem::path programs_dir;               ///< searched, then its subfolders
  bool json = false;                                ///< also write results.json
  std::function<void(const progress&)> on_progress; ///< optional
};

/// Runs every known program found in `programs_dir`, then writes
/// results.csv, results.md, the plots (and results.json) into `out_dir`.
/// Missing programs are skipped; a failing program is reported in the summary.
/// Errors: `invalid_argument` when `out_dir` cannot be created or written.
expected<summary> run(const options& opts);

} // namespace dxhub::bench::suite
