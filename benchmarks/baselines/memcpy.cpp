// The physical limit for producing a frame's bytes: one core copying memory.

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/support/report.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace dxhub::bench::baselines {

double memcpy_bandwidth(std::size_t bytes, std::chrono::milliseconds duration) {
  if (bytes == 0)
    return 0;
  std::vector<char> source(bytes, 'x');
  std::vector<char> target(bytes, 'y');
  // Read the clock about once per MiB copied, so that small copies measure
  // memcpy and not clock_gettime.
  const std::size_t batch = std::max<std::size_t>(1, (std::size_t{1} << 20) / bytes);
  const int64_t start = now_ns();
  const int64_t deadline = start + duration.count() * 1'000'000;
  uint64_t copies = 0;
  int64_t now = 0;
  do {
    for (std::size_t i = 0; i < batch; ++i) {
      std::memcpy(target.data(), source.data(), bytes);
      // Keeps the copy: the compiler must assume `target` is read here.
      asm volatile("" : : "r"(target.data()) : "memory");
    }
    copies += batch;
    now = now_ns();
  } while (now < deadline);
  return static_cast<double>(copies) * static_cast<double>(bytes)
         / (static_cast<double>(now - start) / 1e9);
}

} // namespace dxhub::bench::baselines
