#include "dxhub/benchmarks/suite/comparison.hpp"

#include "dxhub/benchmarks/suite/result_line.hpp"

namespace dxhub::bench::suite {

namespace {

const std::vector<std::string> standard_sizes = {"64B", "4KiB", "1MiB", "8MiB"};
const std::vector<std::string> latency_metrics = {"p50", "p99", "p999", "max"};

void add_latency_rows(std::vector<std::string>& rows, const std::string& bench,
                      const std::string& variant, const std::vector<std::string>& sizes) {
  for (const auto& size : sizes)
    for (const auto& metric : latency_metrics)
      rows.push_back("lat " + bench + " " + variant + " " + size + " " + metric);
}

void add_throughput_rows(std::vector<std::string>& rows, const std::string& bench,
                         const std::string& variant) {
  for (const auto& size : standard_sizes) {
    rows.push_back("thr " + bench + " " + variant + " " + size + " msgs_per_s");
    rows.push_back("thr " + bench + " " + variant + " " + size + " GBps");
  }
}

/// One side of a key ratio: the candidates, in order of preference.
struct selector {
  std::string section;
  std::vector<std::string> benches;
  std::vector<std::string> variants;
  std::string size;
  std::string metric;
};

struct ratio_rule {
  std::string name;
  selector numerator;
  selector denominator;
};

// Other programs' names are matched loosely (first candidate found wins), so
// that a renamed variant still finds its ratio.
const std::vector<ratio_rule>& ratio_rules() {
  static const std::vector<ratio_rule> rules = {
      {"shm / Unix socket, 8MiB msgs/s (higher is better)",
       {"thr", {"shm"}, {"block", "spin", "*"}, "8MiB", "msgs_per_s"},
       {"thr", {"unix_socket"}, {"block"}, "8MiB", "msgs_per_s"}},
      {"shm busy-poll p50 / cache-line floor p50, 64B",
       {"lat", {"shm"}, {"spin", "busy_poll", "poll"}, "64B", "p50"},
       {"lat", {"cacheline"}, {"spin"}, "64B", "p50"}},
      {"shm blocking p50 / futex floor p50, 64B",
       {"lat", {"shm"}, {"block", "blocking"}, "64B", "p50"},
       {"lat", {"futex"}, {"block"}, "64B", "p50"}},
      {"actor layer p50 / raw shm p50, 64B",
       {"lat", {"runtime", "actor", "actors", "runtime_shm"}, {"shm", "block", "*"}, "64B", "p50"},
       {"lat", {"shm"}, {"block", "blocking"}, "64B", "p50"}},
      {"envelope p50 / raw cppzmq p50, 64B ipc",
       {"lat",
        {"zmq_envelope", "zmq", "envelope"},
        {"ipc", "envelope_ipc", "envelope"},
        "64B",
        "p50"},
       {"lat", {"zmq_raw", "cppzmq", "raw_zmq", "zmq"}, {"ipc", "raw_ipc", "raw"}, "64B", "p50"}},
  };
  return rules;
}

} // namespace

figure_index::figure_index(const std::vector<measured>& figures) {
  for (const auto& m : figures) {
    values_.emplace(row_key(m.value), m.value.value);
    rows_.push_back(m.value);
  }
}

std::optional<double> figure_index::find(const std::string& section, const std::string& bench,
                                         const std::string& variant, const std::string& size,
                                         const std::string& metric) const {
  auto it = values_.find(section + " " + bench + " " + variant + " " + size + " " + metric);
  if (it == values_.end())
    return std::nullopt;
  return it->second;
}

std::optional<std::pair<std::string, double>>
figure_index::first_of(const std::string& section, const std::vector<std::string>& benches,
                       const std::vector<std::string>& variants, const std::string& size,
                       const std::string& metric) const {
  for (const auto& bench : benches)
    for (const auto& variant : variants) {
      for (const auto& row : rows_)
        if (row.section == section && row.bench == bench
            && (variant == "*" || row.variant == variant) && row.size == size
            && row.metric == metric)
          return std::pair{row_key(row), row.value};
    }
  return std::nullopt;
}

std::string short_name(const std::string& program) {
  const std::string prefix = "dxhub-bench-";
  return program.rfind(prefix, 0) == 0 ? program.substr(prefix.size()) : program;
}

std::vector<std::string> expected_rows(const std::string& program) {
  // Measured by the suite itself for every program it runs.
  std::vector<std::string> rows{"mem " + short_name(program) + " whole_program - peak_rss"};
  if (program == "dxhub-bench-baselines") {
    add_latency_rows(rows, "cacheline", "spin", {"64B"});
    add_latency_rows(rows, "futex", "block", {"64B"});
    add_latency_rows(rows, "unix_socket", "block", standard_sizes);
    add_latency_rows(rows, "message_queue", "block", standard_sizes);
    add_throughput_rows(rows, "unix_socket", "block");
    add_throughput_rows(rows, "message_queue", "block");
    add_throughput_rows(rows, "memcpy", "block");
  }
  return rows;
}

std::vector<key_ratio> key_ratios(const figure_index& index) {
  std::vector<key_ratio> ratios;
  for (const auto& rule : ratio_rules()) {
    auto side = [&](const selector& s) {
      return index.first_of(s.section, s.benches, s.variants, s.size, s.metric);
    };
    auto num = side(rule.numerator);
    auto den = side(rule.denominator);
    if (num && den && den->second > 0 && num->first != den->first)
      ratios.push_back({rule.name, num->first, den->first, num->second / den->second});
  }
  return ratios;
}

std::optional<double> latency_floor(const figure_index& index, const figure& row) {
  bool spinning = row.variant == "spin" || row.variant == "busy_poll" || row.variant == "poll";
  return spinning ? index.find("lat", "cacheline", "spin", "64B", row.metric)
                  : index.find("lat", "futex", "block", "64B", row.metric);
}

} // namespace dxhub::bench::suite
