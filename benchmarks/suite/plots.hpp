#pragma once

// The plots of a suite run, drawn by gnuplot (Debian gnuplot-nox): latency
// p50 and p99 against message size and throughput in messages/s and GB/s
// against size, all on log-log axes, one line per transport and variant,
// the 64B floors drawn as flat dashed lines. Each PNG comes with its
// self-contained gnuplot script (data inline), so it can be redrawn.

#include "dxhub/benchmarks/suite/suite.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dxhub::bench::suite {

/// The gnuplot program on PATH, or nullopt.
std::optional<std::filesystem::path> find_gnuplot();

/// The gnuplot script of one plot, or "" when no figure fits it.
/// `plot` is one of plot_names(); `terminal` is "pngcairo" or "png".
std::string plot_script(const summary& s, const std::string& plot, const std::string& terminal);

/// The plots the suite draws: latency_p50, latency_p99, throughput_msgs,
/// throughput_gbps, fanout.
const std::vector<std::string>& plot_names();

/// Writes <name>.gp and <name>.png into `dir` for every plot with data;
/// returns the PNGs. Without gnuplot, writes nothing and adds a note.
std::vector<std::filesystem::path> draw_plots(const summary& s, const std::filesystem::path& dir,
                                              std::vector<std::string>& notes);

} // namespace dxhub::bench::suite
