#include "dxhub/benchmarks/suite/comparison.hpp"

#include "dxhub/benchmarks/suite/result_line.hpp"

#include <fnmatch.h>

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

// Other programs' names are matched loosely (shell patterns, the first
// candidate found wins), so that a renamed variant still finds its ratio;
// "=" as a denominator variant means the numerator's variant.
const std::vector<ratio_rule>& ratio_rules() {
  static const std::vector<ratio_rule> rules = {
      {"shm / Unix socket, 8MiB msgs/s (higher is better)",
       {"thr", {"shm_zero_copy", "shm"}, {"spin", "block", "*"}, "8MiB", "msgs_per_s"},
       {"thr", {"unix_socket"}, {"block"}, "8MiB", "msgs_per_s"}},
      {"shm busy-poll p50 / cache-line floor p50, 64B",
       {"lat", {"shm"}, {"spin", "busy_poll", "poll"}, "64B", "p50"},
       {"lat", {"cacheline"}, {"spin"}, "64B", "p50"}},
      {"shm blocking p50 / futex floor p50, 64B",
       {"lat", {"shm"}, {"block", "blocking"}, "64B", "p50"},
       {"lat", {"futex"}, {"block"}, "64B", "p50"}},
      {"actor layer p50 / raw shm p50, 64B (one-way, blocking)",
       {"lat", {"actor_shm", "actor*", "*actor*", "runtime*"}, {"block", "*"}, "64B", "p50"},
       {"lat", {"raw_shm", "shm_raw", "shm"}, {"=", "block", "spin", "*"}, "64B", "p50"}},
      {"actor layer p50 / raw shm p50, 1MiB (one-way, blocking)",
       {"lat", {"actor_shm", "actor*", "*actor*", "runtime*"}, {"block", "*"}, "1MiB", "p50"},
       {"lat", {"raw_shm", "shm_raw", "shm"}, {"=", "block", "spin", "*"}, "1MiB", "p50"}},
      {"actor call p50 / raw cppzmq p50, 64B ipc (round trip)",
       {"lat", {"actor_call_ipc", "actor_call*"}, {"block", "*"}, "64B", "p50"},
       {"lat", {"raw_cppzmq_ipc", "raw_cppzmq*"}, {"=", "*"}, "64B", "p50"}},
      {"envelope p50 / raw cppzmq p50, 64B ipc",
       {"lat",
        {"zmq_envelope*", "*envelope*", "zmq", "dxhub_zmq*"},
        {"ipc", "*ipc*", "*"},
        "64B",
        "p50"},
       {"lat",
        {"zmq_raw*", "*raw*", "cppzmq*", "*cppzmq*"},
        {"=", "ipc", "*ipc*", "*"},
        "64B",
        "p50"}},
  };
  return rules;
}

/// Shell-style matching ("*envelope*"), so that other programs' names are
/// found without the suite knowing them letter for letter.
bool matches(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

/// The variant of a row key ("section bench variant size metric").
std::string variant_of(const std::string& key) {
  auto first = key.find(' ');
  auto second = key.find(' ', first + 1);
  auto third = key.find(' ', second + 1);
  return key.substr(second + 1, third - second - 1);
}

} // namespace

std::optional<double> figure_index::find(const std::string& section, const std::string& bench,
                                         const std::string& variant, const std::string& size,
                                         const std::string& metric,
                                         const std::string& program) const {
  auto found = first_of(section, {bench}, {variant}, size, metric, program);
  if (!found)
    return std::nullopt;
  return found->value;
}

std::optional<found_row> figure_index::first_of(const std::string& section,
                                                const std::vector<std::string>& benches,
                                                const std::vector<std::string>& variants,
                                                const std::string& size, const std::string& metric,
                                                const std::string& program) const {
  for (const auto& bench : benches)
    for (const auto& variant : variants) {
      const measured* any = nullptr;
      for (const auto& m : rows_) {
        const auto& row = m.value;
        if (row.section != section || !matches(bench, row.bench) || !matches(variant, row.variant)
            || row.size != size || row.metric != metric)
          continue;
        if (m.program == program)
          return found_row{row_key(row), row.value, m.program};
        if (any == nullptr)
          any = &m;
      }
      if (any != nullptr)
        return found_row{row_key(any->value), any->value.value, any->program};
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
  } else if (program == "dxhub-bench-shm") {
    // What issue 8 needs of it: both modes at every size, the zero-copy rate.
    add_latency_rows(rows, "shm", "spin", standard_sizes);
    add_latency_rows(rows, "shm", "block", standard_sizes);
    add_throughput_rows(rows, "shm_zero_copy", "spin");
  } else if (program == "dxhub-bench-zmq") {
    // Request/reply round trips and pub/sub rates, envelope and raw cppzmq.
    for (const std::string transport : {"ipc", "tcp"})
      for (const std::string api : {"zmq_envelope_", "zmq_raw_"}) {
        add_latency_rows(rows, api + transport, "block", standard_sizes);
        add_throughput_rows(rows, api + transport, "block");
      }
  } else if (program == "dxhub-bench-runtime") {
    // The actor layer next to the raw transports it runs on (issue 5, item 8).
    add_latency_rows(rows, "raw_shm", "block", {"64B", "1MiB"});
    add_latency_rows(rows, "actor_shm", "block", {"64B", "1MiB"});
    add_latency_rows(rows, "raw_cppzmq_ipc", "block", {"64B", "4KiB"});
    add_latency_rows(rows, "actor_call_ipc", "block", {"64B", "4KiB"});
    // Issue 19: the frame rate and what each publish costs the publisher.
    for (const std::string policy : {"reliable", "latest"})
      for (const std::string metric :
           {"rate_published", "rate_received", "delivered", "cpu_publish_thread", "cpu_publisher"})
        rows.push_back("thr actor_shm " + policy + " 64B " + metric);
    // Issue 20: small commands while a 50 MiB request is in flight.
    add_latency_rows(rows, "small_call_ipc", "idle", {"64B"});
    add_latency_rows(rows, "small_call_ipc", "during_50MiB", {"64B"});
    add_latency_rows(rows, "large_call_ipc", "block", {"50MiB"});
  } else if (program == "dxhub-bench-python") {
    // Issue 21: the Python face next to C++ on the same runtime paths.
    for (const std::string side : {"cpp", "python"}) {
      for (const std::string size : {"4KiB", "8MiB"}) {
        rows.push_back("thr " + side + "_sub block " + size + " msgs_per_s");
        rows.push_back("thr " + side + "_sub block " + size + " GBps");
      }
      add_latency_rows(rows, side + "_sub", "block", {"4KiB"});
      add_latency_rows(rows, side + "_call", "block", {"64B"});
    }
  } else if (program == "dxhub-bench-dashboard") {
    // Issue 22: the page's freshness and what it costs the camera.
    for (const std::string metric : {"latency_p50", "latency_p99", "frames_per_s"})
      rows.push_back("dashboard display browser 600KiB " + metric);
    for (const std::string side : {"without_page", "cxx_reader", "with_page"})
      for (const std::string metric : {"frames_per_s", "publish_p50", "publish_p99"})
        rows.push_back("dashboard publisher " + side + " 600KiB " + metric);
    for (const std::string metric : {"rate_ratio", "publish_p50_ratio"})
      rows.push_back("dashboard publisher with_over_without 600KiB " + metric);
    rows.push_back("dashboard publisher cxx_reader_over_without 600KiB publish_p50_ratio");
    // The page's cost over alternating periods, with its bootstrap interval,
    // and its parts: the browser's load, the dashboard's reading, the
    // overview alone, with and without a page drawing it; the last, the reading with the other
    // camera as the control in the same seconds, is the one that bounds the dashboard's.
    for (const std::string variant :
         {"alternating_pairs", "other_camera_over_without", "with_over_other_camera",
          "overview_over_without", "socket_over_without", "shown_over_unshown_camera"})
      for (const std::string metric : {"publish_p50_ratio", "publish_p50_ratio_ci_low",
                                       "publish_p50_ratio_ci_high", "rate_ratio"})
        rows.push_back("dashboard publisher " + variant + " 600KiB " + metric);
  }
  return rows;
}

bool valid_value(const figure& f) {
  // CPU use and counts of losses are rightly zero (an idle subscriber, a
  // recording that kept every frame).
  if (f.metric.rfind("cpu_", 0) == 0 || f.metric.ends_with("_lost"))
    return f.value >= 0;
  return f.value > 0;
}

std::vector<key_ratio> key_ratios(const figure_index& index) {
  std::vector<key_ratio> ratios;
  for (const auto& rule : ratio_rules()) {
    // Numerator and denominator from the same program's run when it has both.
    const auto& n = rule.numerator;
    const auto& d = rule.denominator;
    auto num = index.first_of(n.section, n.benches, n.variants, n.size, n.metric);
    if (!num)
      continue;
    // "=": the numerator's variant (an actor path against the same shm mode).
    auto variants = d.variants;
    for (auto& v : variants)
      if (v == "=")
        v = variant_of(num->key);
    auto den = index.first_of(d.section, d.benches, variants, d.size, d.metric, num->program);
    if (den && den->value > 0 && num->key != den->key)
      ratios.push_back({rule.name, short_name(num->program) + ": " + num->key,
                        short_name(den->program) + ": " + den->key, num->value / den->value});
  }
  return ratios;
}

std::optional<double> latency_floor(const figure_index& index, const figure& row,
                                    const std::string& program) {
  bool spinning = row.variant == "spin" || row.variant == "busy_poll" || row.variant == "poll";
  return spinning ? index.find("lat", "cacheline", "spin", "64B", row.metric, program)
                  : index.find("lat", "futex", "block", "64B", row.metric, program);
}

} // namespace dxhub::bench::suite
