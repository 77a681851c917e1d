#pragma once

// How figures are read against each other: the rows each program must
// print, the baseline a row is divided by in the table, and the key ratios
// of issue 8 (shm vs Unix socket, busy-poll vs cache-line floor, blocking vs
// futex floor, actor layer vs raw shm, envelope vs raw cppzmq).

#include "dxhub/benchmarks/suite/suite.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::bench::suite {

/// A row found in the index: its key, its value and the program that printed it.
struct found_row {
  std::string key;
  double value = 0;
  std::string program;
};

/// Every figure, searchable by row. Several programs may print the same row
/// (the transport programs measure their own baselines in the same run): a
/// search prefers the row of `program` and falls back to the first printed.
class figure_index {
public:
  explicit figure_index(std::vector<measured> figures) : rows_(std::move(figures)) {}

  /// The value of a row, or nullopt.
  std::optional<double> find(const std::string& section, const std::string& bench,
                             const std::string& variant, const std::string& size,
                             const std::string& metric, const std::string& program = "") const;

  /// The first row that exists among the candidates (shell patterns such as
  /// "*envelope*"), benches first, then variants, preferring `program`'s rows.
  std::optional<found_row> first_of(const std::string& section,
                                    const std::vector<std::string>& benches,
                                    const std::vector<std::string>& variants,
                                    const std::string& size, const std::string& metric,
                                    const std::string& program = "") const;

private:
  std::vector<measured> rows_;
};

/// "shm" for "dxhub-bench-shm".
std::string short_name(const std::string& program);

/// The row keys a program must print (with or without --quick); empty for
/// programs the suite knows nothing about beyond "at least one figure" (and
/// the peak RSS row the suite adds for every program).
std::vector<std::string> expected_rows(const std::string& program);

/// Whether a figure's value is plausible: positive, or at least zero for CPU
/// use (`cpu_*` metrics: an idle subscriber may use none) and for losses
/// (`*_lost` metrics: a recording that kept every frame).
bool valid_value(const figure& f);

/// The key ratios whose two figures exist.
std::vector<key_ratio> key_ratios(const figure_index& index);

/// The floor a latency row is compared to: cacheline for spinning paths,
/// futex for blocking ones (both at 64B, same metric), from `program`'s run
/// when it measured them.
std::optional<double> latency_floor(const figure_index& index, const figure& row,
                                    const std::string& program);

} // namespace dxhub::bench::suite
