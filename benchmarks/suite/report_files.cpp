#include "dxhub/benchmarks/suite/report_files.hpp"

#include "dxhub/benchmarks/suite/comparison.hpp"
#include "dxhub/benchmarks/suite/result_line.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace dxhub::bench::suite {

namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '"' ? std::string{"\"\""} : std::string{c};
  return quoted + "\"";
}

std::string printf_text(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

/// Three significant digits without exponents: 0.215, 10.1, 692, 2334.
std::string plain(double v) {
  double a = std::abs(v);
  return printf_text(a < 10 ? "%.3f" : a < 100 ? "%.2f" : a < 1000 ? "%.1f" : "%.0f", v);
}

/// Rates with a unit prefix: 397.5k, 1.18M.
std::string rate(double v) {
  if (v >= 1e9)
    return printf_text("%.2fG", v / 1e9);
  if (v >= 1e6)
    return printf_text("%.2fM", v / 1e6);
  if (v >= 1e4)
    return printf_text("%.1fk", v / 1e3);
  return plain(v);
}

std::string times(std::optional<double> ratio) {
  if (!ratio)
    return "-";
  return printf_text(*ratio < 0.1 ? "%.4fx" : *ratio < 10 ? "%.2fx" : "%.1fx", *ratio);
}

std::optional<double> divide(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b <= 0)
    return std::nullopt;
  return *a / *b;
}

/// A markdown table whose columns are padded, so it reads on a terminal too.
class table {
public:
  explicit table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.size() == 1; }

  std::string text() const {
    std::vector<std::size_t> width(rows_[0].size(), 3);
    for (const auto& row : rows_)
      for (std::size_t i = 0; i < row.size(); ++i)
        width[i] = std::max(width[i], row[i].size());
    std::string out;
    auto line = [&](const std::vector<std::string>& row) {
      out += "|";
      for (std::size_t i = 0; i < row.size(); ++i)
        out += " " + row[i] + std::string(width[i] - row[i].size(), ' ') + " |";
      out += "\n";
    };
    line(rows_[0]);
    out += "|";
    for (auto w : width)
      out += std::string(w + 2, '-') + "|";
    out += "\n";
    for (std::size_t r = 1; r < rows_.size(); ++r)
      line(rows_[r]);
    return out;
  }

private:
  std::vector<std::vector<std::string>> rows_;
};

/// Latency percentiles and rates have their own tables; any other metric
/// (CPU use, memory, the programs' own ratios) goes to "Other figures".
bool in_tables(const figure& f) {
  static const std::set<std::string> latency = {"p50", "p99", "p999", "max"};
  static const std::set<std::string> throughput = {"msgs_per_s", "GBps"};
  return (f.section == "lat" && latency.contains(f.metric))
         || (f.section == "thr" && throughput.contains(f.metric));
}

/// (program, bench, variant, size) in the order the programs printed them.
struct row_group {
  std::string program, bench, variant, size;
};

std::vector<row_group> groups_of(const summary& s, const std::string& section) {
  std::vector<row_group> groups;
  for (const auto& m : s.figures) {
    const auto& f = m.value;
    if (f.section != section || !in_tables(f))
      continue;
    auto same = [&](const row_group& g) {
      return g.program == m.program && g.bench == f.bench && g.variant == f.variant
             && g.size == f.size;
    };
    if (std::none_of(groups.begin(), groups.end(), same))
      groups.push_back({m.program, f.bench, f.variant, f.size});
  }
  return groups;
}

std::string latency_table(const summary& s, const figure_index& index) {
  table t{{"program", "bench", "variant", "size", "p50 us", "p99 us", "p99.9 us", "max us",
           "p50 / floor", "p50 / unix socket"}};
  for (const auto& g : groups_of(s, "lat")) {
    auto value = [&](const char* metric) {
      return index.find("lat", g.bench, g.variant, g.size, metric, g.program);
    };
    auto cell = [&](const char* metric) {
      auto v = value(metric);
      return v ? plain(*v) : std::string{"-"};
    };
    figure row{"lat", g.bench, g.variant, g.size, "p50", 0, "us"};
    auto socket = index.find("lat", "unix_socket", "block", g.size, "p50", g.program);
    t.add({short_name(g.program), g.bench, g.variant, g.size, cell("p50"), cell("p99"),
           cell("p999"), cell("max"),
           times(divide(value("p50"), latency_floor(index, row, g.program))),
           times(divide(value("p50"), socket))});
  }
  return t.empty() ? "" : t.text();
}

std::string throughput_table(const summary& s, const figure_index& index) {
  table t{{"program", "bench", "variant", "size", "msgs/s", "GB/s", "msgs/s / unix socket",
           "GB/s / memcpy"}};
  for (const auto& g : groups_of(s, "thr")) {
    auto msgs = index.find("thr", g.bench, g.variant, g.size, "msgs_per_s", g.program);
    auto gbps = index.find("thr", g.bench, g.variant, g.size, "GBps", g.program);
    auto socket = index.find("thr", "unix_socket", "block", g.size, "msgs_per_s", g.program);
    auto copy = index.find("thr", "memcpy", "block", g.size, "GBps", g.program);
    t.add({short_name(g.program), g.bench, g.variant, g.size, msgs ? rate(*msgs) : "-",
           gbps ? plain(*gbps) : "-", times(divide(msgs, socket)), times(divide(gbps, copy))});
  }
  return t.empty() ? "" : t.text();
}

/// Figures of any other section (memory, fan-out, the programs' own ratios).
std::string other_table(const summary& s) {
  table t{{"section", "bench", "variant", "size", "metric", "value", "unit", "program"}};
  for (const auto& m : s.figures) {
    const auto& f = m.value;
    if (in_tables(f))
      continue;
    t.add({f.section, f.bench, f.variant, f.size, f.metric, plain(f.value), f.unit,
           short_name(m.program)});
  }
  return t.empty() ? "" : t.text();
}

std::string programs_table(const summary& s) {
  table t{{"program", "outcome", "seconds", "figures", "detail"}};
  for (const auto& p : s.programs)
    t.add({p.name, to_string(p.result), printf_text("%.1f", p.seconds), std::to_string(p.figures),
           p.detail});
  return t.text();
}

} // namespace

std::string result_lines_text(const summary& s) {
  std::string out;
  for (const auto& m : s.figures) {
    const auto& f = m.value;
    out += "RESULT\t" + f.section + "\t" + f.bench + "\t" + f.variant + "\t" + f.size + "\t"
           + f.metric + "\t" + printf_text("%.6g", f.value) + "\t" + f.unit + "\n";
  }
  return out;
}

std::string csv_text(const summary& s) {
  std::ostringstream out;
  out << "program,section,bench,variant,size,bytes,metric,value,unit,mode,hostname,kernel,"
         "cpu_model,cpus,date_utc\n";
  for (const auto& m : s.figures) {
    const auto& f = m.value;
    auto bytes = size_bytes(f.size);
    out << csv_field(m.program) << ',' << csv_field(f.section) << ',' << csv_field(f.bench) << ','
        << csv_field(f.variant) << ',' << csv_field(f.size) << ','
        << (bytes ? std::to_string(*bytes) : std::string{}) << ',' << csv_field(f.metric) << ','
        << printf_text("%.6g", f.value) << ',' << csv_field(f.unit) << ','
        << (s.quick ? "quick" : "full") << ',' << csv_field(s.host.hostname) << ','
        << csv_field(s.host.kernel) << ',' << csv_field(s.host.cpu_model) << ',' << s.host.cpus
        << ',' << s.host.date_utc << '\n';
  }
  return out.str();
}

std::string markdown_text(const summary& s, const std::vector<std::filesystem::path>& plots) {
  figure_index index{s.figures};
  std::ostringstream out;
  out << "# dxhub benchmark results\n\n"
      << "- host: " << s.host.hostname << ", " << s.host.cpu_model << ", " << s.host.cpus
      << " CPUs, " << s.host.kernel << "\n"
      << "- date: " << s.host.date_utc << "\n"
      << "- mode: " << (s.quick ? "quick (fewer samples; for smoke runs, not for quoting)" : "full")
      << "\n\n## Programs\n\n"
      << programs_table(s);
  if (auto text = latency_table(s, index); !text.empty())
    out << "\n## Latency (one-way, microseconds)\n\n"
        << "`p50 / floor`: against the cache-line ping-pong for spinning paths, the futex\n"
        << "ping-pong for blocking ones (both 64B). `p50 / unix socket`: same size.\n"
        << "Request/reply rows (`zmq_envelope_*`, `zmq_raw_*`, `actor_call_*`, `raw_cppzmq_*`)\n"
        << "are whole round trips, not halved.\n\n"
        << text;
  if (auto text = throughput_table(s, index); !text.empty())
    out << "\n## Throughput\n\n" << text;
  if (auto text = other_table(s); !text.empty())
    out << "\n## Other figures\n\n" << text;
  out << "\n## Key ratios\n\n"
      << "Numerator and denominator come from the same program's run when it measured both.\n\n";
  if (s.ratios.empty())
    out << "None: the figures they need are missing (see Programs).\n";
  else {
    table t{{"ratio", "value", "numerator", "denominator"}};
    for (const auto& r : s.ratios)
      t.add({r.name, times(r.value), r.numerator, r.denominator});
    out << t.text();
  }
  if (!s.missing.empty()) {
    out << "\n## Missing rows\n\n";
    for (const auto& m : s.missing)
      out << "- " << m << "\n";
  }
  if (!s.notes.empty()) {
    out << "\n## Notes\n\n";
    for (const auto& n : s.notes)
      out << "- " << n << "\n";
  }
  if (!plots.empty()) {
    out << "\n## Plots\n\n";
    for (const auto& p : plots)
      out << "![" << p.stem().string() << "](" << p.filename().string() << ")\n";
  }
  return out.str();
}

std::string json_text(const summary& s) {
  using nlohmann::json;
  json j;
  j["host"] = {{"hostname", s.host.hostname},
               {"kernel", s.host.kernel},
               {"cpu_model", s.host.cpu_model},
               {"cpus", s.host.cpus},
               {"date_utc", s.host.date_utc}};
  j["mode"] = s.quick ? "quick" : "full";
  j["programs"] = json::array();
  for (const auto& p : s.programs)
    j["programs"].push_back({{"name", p.name},
                             {"path", p.path.string()},
                             {"outcome", to_string(p.result)},
                             {"exit_code", p.exit_code},
                             {"seconds", p.seconds},
                             {"figures", p.figures},
                             {"detail", p.detail}});
  j["figures"] = json::array();
  for (const auto& m : s.figures) {
    const auto& f = m.value;
    j["figures"].push_back({{"program", m.program},
                            {"section", f.section},
                            {"bench", f.bench},
                            {"variant", f.variant},
                            {"size", f.size},
                            {"metric", f.metric},
                            {"value", f.value},
                            {"unit", f.unit}});
  }
  j["ratios"] = json::array();
  for (const auto& r : s.ratios)
    j["ratios"].push_back({{"name", r.name},
                           {"value", r.value},
                           {"numerator", r.numerator},
                           {"denominator", r.denominator}});
  j["missing"] = s.missing;
  j["notes"] = s.notes;
  j["files"] = json::array();
  for (const auto& f : s.files)
    j["files"].push_back(f.string());
  return j.dump(2) + "\n";
}

expected<void> write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file{path, std::ios::binary | std::ios::trunc};
  file << text;
  file.close();
  if (!file)
    return error{errc::invalid_argument, "cannot write " + path.string()};
  return ok();
}

} // namespace dxhub::bench::suite
