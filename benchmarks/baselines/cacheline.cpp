// The polling floor: one cache line bounced between two cores.

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/baselines/detail/peer.hpp"
#include "dxhub/benchmarks/baselines/detail/samples.hpp"

#include <atomic>

namespace dxhub::bench::baselines {

namespace {

// One word in its own cache line: odd values are pings, even values pongs.
struct alignas(64) turn_line {
  std::atomic<uint64_t> turn{0};
};

} // namespace

expected<std::vector<double>> try_cacheline_pingpong(const latency_options& opts) {
  // On one core each spin would last a whole time slice: no floor to measure.
  if (opts.cpu_a == opts.cpu_b || cpu_count() < 2)
    return error{errc::invalid_argument, "cache-line ping-pong: needs two distinct cores"};
  DXHUB_TRY(memory, detail::shared_memory::map(4096));
  auto* line = memory.emplace<turn_line>();
  const uint64_t total = opts.warmup + opts.iterations;
  detail::scoped_pin pin{opts.cpu_a};
  DXHUB_TRY(child, detail::peer::start(opts.cpu_b, [line, total] {
              for (uint64_t i = 0; i < total; ++i) {
                while (line->turn.load(std::memory_order_acquire) != 2 * i + 1)
                  __builtin_ia32_pause();
                line->turn.store(2 * i + 2, std::memory_order_release);
              }
              return 0;
            }));
  DXHUB_TRY(samples, detail::one_way_samples(opts, [&](std::size_t i) {
              line->turn.store(2 * i + 1, std::memory_order_release);
              return detail::spin_until(
                  [&] { return line->turn.load(std::memory_order_acquire) == 2 * i + 2; }, child);
            }));
  DXHUB_TRYV(child.join(detail::join_timeout));
  return samples;
}

} // namespace dxhub::bench::baselines
