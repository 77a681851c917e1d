#define CAF_SUITE bench.suite
#include "dxhub/benchmarks/suite/suite.hpp"

#include "dxhub/benchmarks/suite/comparison.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace dxhub;
namespace fs = std::filesystem;

/// CAF_CHECK that also prints what failed (CAF 0.17 has no CAF_CHECK_MESSAGE).
#define CHECK_SAYING(condition, text)                                                              \
  do {                                                                                             \
    if (!(condition))                                                                              \
      CAF_MESSAGE(text);                                                                           \
    CAF_CHECK(condition);                                                                          \
  } while (false)

namespace {

/// A temporary output directory, removed with everything in it.
struct scratch_dir {
  fs::path path = fs::temp_directory_path() / test::unique_name("dxhub-bench-suite");
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

bench::figure figure_of(const nlohmann::json& f) {
  return {f["section"], f["bench"], f["variant"], f["size"], f["metric"], f["value"], f["unit"]};
}

bool is_png(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  char magic[8] = {};
  in.read(magic, 8);
  return in && std::string(magic + 1, 3) == "PNG";
}

/// "program: section bench variant size metric" of every CSV line.
std::set<std::string> csv_rows(const fs::path& file) {
  std::set<std::string> rows;
  std::ifstream in{file};
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream fields{line};
    for (std::string cell; std::getline(fields, cell, ',') && cells.size() < 7;)
      cells.push_back(cell);
    if (cells.size() == 7)
      rows.insert(cells[0] + ": " + cells[1] + " " + cells[2] + " " + cells[3] + " " + cells[4]
                  + " " + cells[6]);
  }
  return rows;
}

/// The benchmark programs CMake builds in this tree (DXHUB_BENCH_PROGRAMS, ':'-separated).
std::vector<std::string> built_programs() {
  const char* list = std::getenv("DXHUB_BENCH_PROGRAMS");
  std::vector<std::string> names;
  std::stringstream in{list != nullptr ? list : ""};
  for (std::string name; std::getline(in, name, ':');)
    if (!name.empty())
      names.push_back(name);
  return names;
}

} // namespace

CAF_TEST(a quick suite run writes every expected row as a positive figure with table and plots) {
  scratch_dir out;
  test::child_process suite{{test::built_program("benchmarks/suite/dxhub-bench-suite"), "--quick",
                             "--json", "--out", out.path.string(), "--programs-dir",
                             test::built_program("benchmarks")}};
  auto json_text = suite.read_all(std::chrono::seconds(270));
  auto exit_code = suite.exit_code(std::chrono::seconds(10));
  CAF_REQUIRE(exit_code.has_value());
  CAF_CHECK_EQUAL(*exit_code, 0);
  auto summary = nlohmann::json::parse(json_text, nullptr, false);
  CAF_REQUIRE(!summary.is_discarded());

  // Every program built here (found by the suite) succeeded - the baselines
  // at least; programs of other layers not built yet are skipped.
  std::vector<std::string> present;
  for (const auto& p : summary["programs"]) {
    if (p["outcome"] == "skipped")
      continue;
    present.push_back(p["name"].get<std::string>());
    CHECK_SAYING(p["outcome"] == "ok", "did not succeed: " + p.dump());
  }
  CAF_CHECK(std::count(present.begin(), present.end(), "dxhub-bench-baselines") == 1);
  // Every program this tree builds ran (none skipped): the runtime's too.
  for (const auto& name : built_programs())
    CHECK_SAYING(std::count(present.begin(), present.end(), name) == 1,
                 "built but not run: " + name);
  CHECK_SAYING(summary["missing"].empty(), "missing rows: " + summary["missing"].dump());

  // Every figure is a positive number, and every program printed some.
  std::map<std::string, int> per_program;
  for (const auto& f : summary["figures"]) {
    CHECK_SAYING(f["value"].is_number() && bench::suite::valid_value(figure_of(f)),
                 "not positive: " + f.dump());
    ++per_program[f["program"].get<std::string>()];
  }
  for (const auto& name : present)
    CAF_CHECK_GREATER(per_program[name], 0);

  // The CSV holds the expected rows too, and the table and plots are written.
  auto rows = csv_rows(out.path / "results.csv");
  for (const auto& name : present)
    for (const auto& expected : bench::suite::expected_rows(name))
      CHECK_SAYING(rows.count(name + ": " + expected) == 1, "not in CSV: " + expected);
  CAF_CHECK(fs::file_size(out.path / "results.md") > 0);
  CAF_CHECK(fs::exists(out.path / "results.json"));
  CAF_CHECK(fs::file_size(out.path / "results.tsv") > 0);
  for (const char* plot : {"latency_p50", "latency_p99", "throughput_msgs", "throughput_gbps"}) {
    CHECK_SAYING(is_png(out.path / (std::string{plot} + ".png")),
                 std::string{plot} + ".png missing");
    CAF_CHECK(fs::exists(out.path / (std::string{plot} + ".gp")));
  }
}
