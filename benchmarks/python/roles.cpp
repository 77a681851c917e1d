#include "roles.hpp"

#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <unistd.h>
#include <vector>

namespace dxhub::bench::python {

namespace {

/// Frames taken before a rate's clock starts.
constexpr std::size_t warm_up = 20;
/// Frames the reader may hold unread, as on the Python side (see there).
constexpr uint32_t window = 16;

void print_samples(const std::vector<double>& samples) {
  std::cout << "latency_ns";
  for (auto v : samples)
    std::cout << ' ' << v;
  std::cout << std::endl;
}

} // namespace

int run_subscriber(const std::string& channel, std::size_t frames, bool paced) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node_options o;
  o.name = "bench-cpp-sub-" + std::to_string(::getpid());
  o.networked = false;
  runtime::node n{sys, o};
  std::vector<double> samples;
  int64_t first = 0, last = 0;
  std::size_t got = 0;
  {
    caf::scoped_actor self{sys};
    runtime::subscription_options so;
    so.policy = runtime::policy::reliable;
    so.window = window;
    auto sub = runtime::subscribe(self.ptr(), channel, so);
    if (!sub) {
      std::cerr << sub.error().what() << std::endl;
      return 1;
    }
    bool timed_out = false;
    while (got < frames && !timed_out) {
      self->receive(
          [&](const runtime::frame& f) {
            auto now = now_ns();
            // The typed view a user reads, as the Python side makes its numpy view.
            auto data = f.field<uint8_t>("data");
            if (!data)
              timed_out = true;
            // The clock starts after a warm-up, as on the Python side (whose
            // first frames pay one-time costs: imports, the dtype table).
            if (got == warm_up)
              first = now;
            last = now;
            if (paced && got >= warm_up)
              samples.push_back(static_cast<double>(now - f.header().monotonic_ns));
            ++got;
          },
          [&](const runtime::channel_status&) {},
          caf::after(std::chrono::seconds{30}) >> [&] { timed_out = true; });
    }
    sub.value().cancel();
  }
  n.shutdown();
  if (paced)
    print_samples(samples);
  else if (got > warm_up + 1 && last > first)
    std::cout << "rate "
              << static_cast<double>(got - 1 - warm_up) * 1e9 / static_cast<double>(last - first)
              << std::endl;
  return got == frames ? 0 : 1;
}

int run_caller(const std::string& service, std::size_t calls) {
  runtime::node_config cfg;
  caf::actor_system sys{cfg};
  runtime::node_options o;
  o.name = "bench-cpp-call-" + std::to_string(::getpid());
  o.announce = false;
  const char* registry = std::getenv("DXHUB_REGISTRY");
  o.registry = registry != nullptr ? registry : "";
  runtime::node n{sys, o};
  std::vector<double> samples;
  {
    caf::scoped_actor self{sys};
    std::optional<runtime::service> svc;
    for (int attempt = 0; attempt < 50 && !svc; ++attempt)
      runtime::lookup(self.ptr(), service)
          .receive(
              [&](const runtime::service& s) { svc = s; },
              [&](caf::error&) { std::this_thread::sleep_for(std::chrono::milliseconds{100}); });
    if (!svc) {
      std::cerr << "no service " << service << std::endl;
      return 1;
    }
    const json_text args{R"({"x": 1})"};
    for (std::size_t i = 0; i < calls + 50; ++i) {
      auto start = now_ns();
      bool ok = false;
      runtime::call_json(self.ptr(), *svc, "echo", args)
          .receive([&](const reply& r) { ok = r.ok(); }, [&](caf::error&) {});
      if (!ok)
        return 1;
      if (i >= 50)
        samples.push_back(static_cast<double>(now_ns() - start));
    }
  }
  n.shutdown();
  print_samples(samples);
  return 0;
}

} // namespace dxhub::bench::python
