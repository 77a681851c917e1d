#define CAF_SUITE bench.report
#include "dxhub/benchmarks/suite/comparison.hpp"
#include "dxhub/benchmarks/suite/plots.hpp"
#include "dxhub/benchmarks/suite/report_files.hpp"
#include "dxhub/benchmarks/suite/result_line.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <string>

using namespace dxhub::bench;
using namespace dxhub::bench::suite;

namespace {

measured row(std::string program, std::string section, std::string bench, std::string variant,
             std::string size, std::string metric, double value, std::string unit) {
  return {std::move(program), figure{std::move(section), std::move(bench), std::move(variant),
                                     std::move(size), std::move(metric), value, std::move(unit)}};
}

/// A small run: two floors, a socket at two sizes, a fake shm transport.
summary sample_run() {
  summary s;
  s.host = {"lab1", "Linux 6 x86_64", "Some CPU, model 7", 2, "2026-01-01T00:00:00Z"};
  s.programs.push_back({"dxhub-bench-baselines", "/x", program_run::outcome::ok, 0, 1.0, 6, ""});
  s.figures = {
      row("b", "lat", "cacheline", "spin", "64B", "p50", 0.2, "us"),
      row("b", "lat", "futex", "block", "64B", "p50", 5.0, "us"),
      row("b", "lat", "unix_socket", "block", "64B", "p50", 8.0, "us"),
      row("b", "lat", "unix_socket", "block", "8MiB", "p50", 900.0, "us"),
      row("b", "thr", "unix_socket", "block", "8MiB", "msgs_per_s", 1000.0, "1/s"),
      row("s", "lat", "shm", "spin", "64B", "p50", 0.4, "us"),
      row("s", "lat", "shm", "block", "64B", "p50", 10.0, "us"),
      row("s", "thr", "shm", "block", "8MiB", "msgs_per_s", 50000.0, "1/s"),
      row("s", "lat", "cacheline", "spin", "64B", "p50", 0.1, "us"), // same-run floor
  };
  return s;
}

} // namespace

CAF_TEST(a RESULT line becomes a figure and other lines are ignored) {
  auto f = parse_result_line("RESULT\tlat\tshm\tspin\t4KiB\tp50\t0.53\tus\n");
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->bench, "shm");
  CAF_CHECK_EQUAL(f->size, "4KiB");
  CAF_CHECK_EQUAL(f->value, 0.53);
  CAF_CHECK_EQUAL(row_key(*f), "lat shm spin 4KiB p50");
  CAF_CHECK(!parse_result_line("lat shm spin 64B p50 0.5 us"));
  CAF_CHECK(!parse_result_line("RESULT\tlat\tshm\tspin\t64B\tp50\tfast\tus"));
  CAF_CHECK(!parse_result_line("RESULT\tlat\tshm\tspin\t64B\tp50\t1"));
}

CAF_TEST(size labels turn back into bytes) {
  CAF_CHECK_EQUAL(size_bytes("64B").value_or(0), 64u);
  CAF_CHECK_EQUAL(size_bytes("4KiB").value_or(0), 4096u);
  CAF_CHECK_EQUAL(size_bytes("8MiB").value_or(0), 8u << 20);
  CAF_CHECK(!size_bytes("-"));
  CAF_CHECK(!size_bytes("MiB"));
  CAF_CHECK(!size_bytes("4xKiB"));
}

CAF_TEST(zero is a valid figure only for CPU use and losses) {
  auto fig = [](std::string metric, double value) {
    return figure{"thr", "paced_recording", "block", "2MiB", std::move(metric), value, "frames"};
  };
  CAF_CHECK(valid_value(fig("frames_lost", 0)));
  CAF_CHECK(valid_value(fig("cpu_ns_per_frame", 0)));
  CAF_CHECK(!valid_value(fig("msgs_per_s", 0)));
  CAF_CHECK(!valid_value(fig("frames_lost", -1)));
}

CAF_TEST(the key ratios of issue 8 are computed from the figures that exist) {
  figure_index index{sample_run().figures};
  auto ratios = key_ratios(index);
  auto value_of = [&](const std::string& prefix) {
    for (const auto& r : ratios)
      if (r.name.rfind(prefix, 0) == 0)
        return r.value;
    return -1.0;
  };
  CAF_CHECK_EQUAL(value_of("shm / Unix socket"), 50.0);
  CAF_CHECK_EQUAL(value_of("shm busy-poll p50"), 4.0); // against its own run's floor
  CAF_CHECK_EQUAL(value_of("shm blocking p50"), 2.0);
  CAF_CHECK_EQUAL(value_of("envelope"), -1.0); // no zmq figures: no ratio, no guess
}

CAF_TEST(ratios find other programs rows by pattern and in the same mode) {
  auto s = sample_run();
  s.figures.push_back(row("z", "lat", "zmq_envelope", "ipc", "64B", "p50", 30.0, "us"));
  s.figures.push_back(row("z", "lat", "zmq_raw", "tcp", "64B", "p50", 10.0, "us"));
  s.figures.push_back(row("z", "lat", "zmq_raw", "ipc", "64B", "p50", 20.0, "us"));
  s.figures.push_back(row("r", "lat", "actor_shm", "block", "64B", "p50", 15.0, "us"));
  s.figures.push_back(row("r", "lat", "shm", "spin", "64B", "p50", 1.0, "us"));
  s.figures.push_back(row("r", "lat", "shm", "block", "64B", "p50", 12.0, "us"));
  auto ratios = key_ratios(figure_index{s.figures});
  auto value_of = [&](const std::string& prefix) {
    for (const auto& r : ratios)
      if (r.name.rfind(prefix, 0) == 0)
        return r.value;
    return -1.0;
  };
  CAF_CHECK_EQUAL(value_of("envelope"), 1.5);     // ipc against ipc, not tcp
  CAF_CHECK_EQUAL(value_of("actor layer"), 1.25); // blocking against blocking, same run
}

CAF_TEST(the CSV has one line per figure with the host on each) {
  auto csv = csv_text(sample_run());
  CAF_CHECK_EQUAL(std::count(csv.begin(), csv.end(), '\n'), 10);
  CAF_CHECK(csv.find("\"Some CPU, model 7\"") != std::string::npos);
  CAF_CHECK(csv.find("s,thr,shm,block,8MiB,8388608,msgs_per_s,50000,1/s,full,lab1")
            != std::string::npos);
}

CAF_TEST(the RESULT lines of every program are kept as printed) {
  auto tsv = result_lines_text(sample_run());
  CAF_CHECK(tsv.find("RESULT\tlat\tcacheline\tspin\t64B\tp50\t0.2\tus\n") != std::string::npos);
  CAF_CHECK(tsv.find("RESULT\tthr\tshm\tblock\t8MiB\tmsgs_per_s\t50000\t1/s\n")
            != std::string::npos);
}

CAF_TEST(the markdown report compares rows with their baselines) {
  auto md = markdown_text(sample_run(), {"latency_p50.png"});
  CAF_CHECK(md.find("## Latency") != std::string::npos);
  CAF_CHECK(md.find("## Throughput") != std::string::npos);
  CAF_CHECK(md.find("## Key ratios") != std::string::npos);
  CAF_CHECK(md.find("50.0x") != std::string::npos); // shm 8MiB vs unix socket
  CAF_CHECK(md.find("![latency_p50](latency_p50.png)") != std::string::npos);
}

CAF_TEST(plots have log axes and units and a legend entry per line) {
  auto gp = plot_script(sample_run(), "latency_p50", "pngcairo");
  CAF_CHECK(gp.find("set logscale x") != std::string::npos);
  CAF_CHECK(gp.find("set logscale y") != std::string::npos);
  CAF_CHECK(gp.find("[µs]") != std::string::npos);
  CAF_CHECK(gp.find("[bytes") != std::string::npos);
  CAF_CHECK(gp.find("title 'shm, busy-poll'") != std::string::npos);
  CAF_CHECK(gp.find("polling floor") != std::string::npos);
  CAF_CHECK(gp.find("'64B' 64") != std::string::npos);
  CAF_CHECK(gp.find("'8MiB' 8388608") != std::string::npos);
  CAF_CHECK(plot_script(sample_run(), "fanout", "png").empty()); // no fan-out figures
  // The floor printed by two programs is drawn once, from the first.
  auto floors = gp.find("polling floor");
  CAF_CHECK(gp.find("polling floor", floors + 1) == std::string::npos);
  CAF_CHECK(gp.find(" 0.2\n") != std::string::npos);
  CAF_CHECK(gp.find(" 0.1\n") == std::string::npos);
}

CAF_TEST(fanout rows make a plot against the number of subscribers) {
  auto s = sample_run();
  for (int subscribers : {2, 4, 8})
    s.figures.push_back(row("s", "lat", "shm_fanout" + std::to_string(subscribers), "block", "64B",
                            "p50", 0.5 * subscribers, "us"));
  auto gp = plot_script(s, "fanout", "pngcairo");
  CAF_CHECK(gp.find("title 'shm, blocking, 64B'") != std::string::npos);
  CAF_CHECK(gp.find("'8' 8") != std::string::npos);
  CAF_CHECK(gp.find("\n1 10\n2 1\n") != std::string::npos); // 1 subscriber: the plain path
  CAF_CHECK(gp.find("subscribers") != std::string::npos);
  // and they stay out of the size plots
  CAF_CHECK(plot_script(s, "latency_p50", "pngcairo").find("fanout") == std::string::npos);
}
