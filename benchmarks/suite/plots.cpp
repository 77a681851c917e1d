#include "dxhub/benchmarks/suite/plots.hpp"

#include "dxhub/benchmarks/suite/program.hpp"
#include "dxhub/benchmarks/suite/report_files.hpp"
#include "dxhub/benchmarks/suite/result_line.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace dxhub::bench::suite {

namespace fs = std::filesystem;

namespace {

/// What one plot shows.
struct plot_spec {
  std::string section;
  std::string metric;
  std::string title;
  std::string y_label;
  bool fanout = false; // x = subscribers instead of message size
};

plot_spec spec_of(const std::string& plot) {
  if (plot == "latency_p50")
    return {"lat", "p50", "Latency, median (p50), by message size",
            "latency p50 [µs]: one-way; request/reply rows: round trip"};
  if (plot == "latency_p99")
    return {"lat", "p99", "Latency, 99th percentile, by message size",
            "latency p99 [µs]: one-way; request/reply rows: round trip"};
  if (plot == "throughput_msgs")
    return {"thr", "msgs_per_s", "Throughput in messages per second, by message size",
            "throughput [messages/s]"};
  if (plot == "throughput_gbps")
    return {"thr", "GBps", "Throughput in payload bytes, by message size",
            "throughput [GB/s, 10^9 bytes/s]"};
  return {"lat", "p50", "Fan-out: one-way latency p50 by number of subscribers",
          "one-way latency p50 [µs]", true};
}

/// The number of subscribers of a fan-out row ("fanout4", "subs_4", "4sub"),
/// or 0 when the row is not a fan-out figure.
int subscribers_of(const figure& f) {
  auto text = f.bench + " " + f.variant;
  if (text.find("fanout") == std::string::npos && text.find("sub") == std::string::npos)
    return 0;
  static const std::regex number{R"((?:fanout|subs?|x)[_-]?(\d+)|(\d+)[_-]?subs?)"};
  std::smatch m;
  if (!std::regex_search(text, m, number))
    return 0;
  return static_cast<int>(std::strtol((m[1].matched ? m[1] : m[2]).str().c_str(), nullptr, 10));
}

/// The baselines by what they stand for; other lines by bench and variant.
bool is_baseline(const std::string& bench) {
  static const std::set<std::string> baselines = {"cacheline", "futex", "memcpy", "unix_socket",
                                                  "message_queue"};
  return baselines.contains(bench);
}

std::string legend_title(const std::string& bench, const std::string& variant) {
  auto name = bench + " " + variant;
  if (name == "cacheline spin")
    return "cache-line ping-pong (polling floor)";
  if (name == "futex block")
    return "futex ping-pong (blocking floor)";
  if (name == "memcpy block")
    return "memcpy, one core (copy limit)";
  if (name == "unix_socket block")
    return "Unix socket";
  if (name == "message_queue block")
    return "Boost.Interprocess message_queue";
  auto words = bench;
  std::replace(words.begin(), words.end(), '_', ' ');
  auto mode = variant == "spin" ? "busy-poll" : variant == "block" ? "blocking" : variant;
  return words + ", " + mode;
}

/// One line of a plot: a title and its (x, y) points, sorted by x.
struct series {
  std::string title;
  std::vector<std::pair<double, double>> points;
  bool flat = false;     // a one-size floor, drawn dashed across the x range
  bool baseline = false; // drawn thinner than the dxhub paths
};

/// The name without its fan-out part: "shm_fanout4" -> "shm".
std::string without_fanout(const std::string& name) {
  static const std::regex strip{R"([_-]?(fanout|subs?|x)[_-]?\d+|[_-]?\d+[_-]?subs?)"};
  return std::regex_replace(name, strip, "");
}

/// The one-subscriber point of a fan-out line: the plain one-way latency of
/// the same path, size and program (a ping-pong has one subscriber).
std::optional<double> single_subscriber(const summary& s, const measured& fanned) {
  const auto& f = fanned.value;
  auto bench = without_fanout(f.bench);
  auto variant = without_fanout(f.variant);
  for (const auto& m : s.figures)
    if (m.program == fanned.program && m.value.section == f.section && m.value.bench == bench
        && m.value.variant == variant && m.value.size == f.size && m.value.metric == f.metric
        && m.value.value > 0)
      return m.value.value;
  return std::nullopt;
}

std::vector<series> series_of(const summary& s, const plot_spec& spec) {
  std::vector<series> lines;
  std::map<std::string, std::size_t> by_title;
  std::map<std::string, std::string> owners;
  for (const auto& m : s.figures) {
    const auto& f = m.value;
    if (f.section != spec.section || f.metric != spec.metric || f.value <= 0)
      continue;
    double x = 0;
    std::string title = legend_title(f.bench, f.variant);
    if (spec.fanout) {
      int subs = subscribers_of(f);
      if (subs <= 0)
        continue;
      x = subs;
      title = legend_title(without_fanout(f.bench), without_fanout(f.variant)) + ", " + f.size;
    } else {
      auto bytes = size_bytes(f.size);
      if (!bytes || subscribers_of(f) > 0)
        continue;
      x = static_cast<double>(*bytes);
    }
    // A row printed by several programs (a transport program measures its
    // own baselines too) is drawn once, from the first program that printed it.
    auto [owner, first] = owners.emplace(title, m.program);
    if (!first && owner->second != m.program)
      continue;
    auto [it, fresh] = by_title.emplace(title, lines.size());
    if (fresh) {
      lines.push_back({title, {}, false, is_baseline(f.bench)});
      if (auto one = spec.fanout ? single_subscriber(s, m) : std::nullopt; one && x != 1)
        lines.back().points.emplace_back(1.0, *one);
    }
    lines[it->second].points.emplace_back(x, f.value);
  }
  for (auto& line : lines) {
    std::sort(line.points.begin(), line.points.end());
    // The floors are measured at one size; drawn flat, they are the line a
    // transport approaches at every size.
    line.flat =
        !spec.fanout && line.points.size() == 1 && line.title.find("floor") != std::string::npos;
  }
  return lines;
}

std::string number(double v) {
  std::ostringstream out;
  out.precision(8);
  out << v;
  return out.str();
}

} // namespace

const std::vector<std::string>& plot_names() {
  static const std::vector<std::string> names = {"latency_p50", "latency_p99", "throughput_msgs",
                                                 "throughput_gbps", "fanout"};
  return names;
}

std::optional<fs::path> find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs{path != nullptr ? path : "/usr/bin:/bin"};
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && fs::exists(fs::path{dir} / "gnuplot"))
      return fs::path{dir} / "gnuplot";
  return std::nullopt;
}

std::string plot_script(const summary& s, const std::string& plot, const std::string& terminal) {
  auto spec = spec_of(plot);
  auto lines = series_of(s, spec);
  if (lines.empty())
    return "";
  double x_min = 1e300;
  double x_max = 0;
  std::set<double> xs;
  for (const auto& line : lines)
    for (auto [x, y] : line.points) {
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      xs.insert(x);
    }
  std::ostringstream gp;
  gp << "# " << plot << ": drawn by dxhub-bench-suite; run `gnuplot " << plot << ".gp`\n"
     << "set encoding utf8\n"
     << "set terminal " << terminal << " noenhanced size 1100,800 font 'Sans,11'\n"
     << "set output '" << plot << ".png'\n"
     << "set title \"" << spec.title << "\\n"
     << s.host.cpu_model << ", " << s.host.cpus << " CPUs, " << s.host.date_utc
     << (s.quick ? " (quick run)" : "") << "\"\n"
     << "set ylabel '" << spec.y_label << "'\n"
     << "set logscale y\nset grid xtics ytics mytics lc rgb '#dddddd'\n"
     << "set key below center box Left reverse width 2 maxcols 2\n"
     // Room under the x label for the legend: two entries per row.
     << "set bmargin " << 6 + (lines.size() + 1) / 2
     << "\n"
     // k/M/G for message rates; plain numbers for GB/s, where "m" would read as mega.
     << (spec.metric == "msgs_per_s" ? "set format y '%.0s%c'\n" : "set format y '%g'\n");
  if (spec.fanout) {
    gp << "set xlabel 'subscribers (one publisher)'\nset logscale x 2\n"
       << "set xrange [" << number(x_min / 1.3) << ":" << number(x_max * 1.3) << "]\n"
       << "set xtics (";
    bool first = true;
    for (double x : xs) {
      gp << (first ? "" : ", ") << "'" << number(x) << "' " << number(x);
      first = false;
    }
    gp << ")\n";
  } else {
    gp << "set xlabel 'message size [bytes, log scale]'\nset logscale x 2\n"
       << "set xrange [" << number(x_min / 2) << ":" << number(x_max * 2) << "]\n"
       << "set xtics (";
    bool first = true;
    for (double x : xs) {
      gp << (first ? "" : ", ") << "'" << size_label(static_cast<std::size_t>(x)) << "' "
         << number(x);
      first = false;
    }
    gp << ")\n";
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    gp << "$d" << i << " << EOD\n";
    const auto& line = lines[i];
    if (line.flat) {
      gp << number(x_min / 2) << " " << number(line.points[0].second) << "\n"
         << number(x_max * 2) << " " << number(line.points[0].second) << "\n";
    } else {
      for (auto [x, y] : line.points)
        gp << number(x) << " " << number(y) << "\n";
    }
    gp << "EOD\n";
  }
  gp << "plot ";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    // Distinct, readable colours (no yellow on white); baselines thin, dxhub paths bold.
    static const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf",
                                    "#7f7f7f", "#bcbd22", "#000000", "#006d2c"};
    const auto* colour = colours[i % (sizeof colours / sizeof colours[0])];
    gp << (i == 0 ? "" : ", \\\n     ") << "$d" << i << " using 1:2 title '" << line.title
       << (line.flat ? ", 64B" : "") << "' ";
    if (line.flat)
      gp << "with lines dt 2 lw 2";
    else
      gp << "with linespoints lw " << (line.baseline ? "1.5" : "3") << " pt " << 5 + i % 4 * 2
         << " ps " << (line.baseline ? "1" : "1.3");
    gp << " lc rgb '" << colour << "'";
  }
  gp << "\n";
  return gp.str();
}

std::vector<fs::path> draw_plots(const summary& s, const fs::path& dir,
                                 std::vector<std::string>& notes) {
  auto gnuplot = find_gnuplot();
  if (!gnuplot) {
    notes.push_back("gnuplot not found on PATH (Debian: gnuplot-nox): no plots drawn");
    return {};
  }
  // pngcairo draws smoother lines and UTF-8 labels; plain png is the fallback.
  auto probe = run_program(*gnuplot, {"-e", "set terminal pngcairo"}, std::chrono::seconds(20),
                           dir / "gnuplot-probe.log");
  std::string terminal = probe && probe.value().exit_code == 0 ? "pngcairo" : "png";
  std::error_code ec;
  fs::remove(dir / "gnuplot-probe.log", ec);
  std::vector<fs::path> drawn;
  for (const auto& plot : plot_names()) {
    auto script = plot_script(s, plot, terminal);
    if (script.empty())
      continue;
    auto script_path = dir / (plot + ".gp");
    if (!write_text(script_path, script)) {
      notes.push_back("cannot write " + script_path.string());
      continue;
    }
    // gnuplot writes the PNG relative to its working directory: run it in `dir`.
    auto rendered = run_program("/bin/sh",
                                {"-c", "cd \"$0\" && exec \"$1\" \"$2\"", dir.string(),
                                 gnuplot->string(), script_path.filename().string()},
                                std::chrono::seconds(60), dir / (plot + ".log"));
    if (rendered && rendered.value().exit_code == 0 && fs::exists(dir / (plot + ".png"))) {
      drawn.push_back(dir / (plot + ".png"));
      fs::remove(dir / (plot + ".log"), ec);
    } else {
      notes.push_back("gnuplot failed on " + plot + ".gp (see " + plot + ".log)");
    }
  }
  return drawn;
}

} // namespace dxhub::bench::suite
