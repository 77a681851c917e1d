// The plain entry points: the same measurements, an empty result on failure.

#include "dxhub/benchmarks/baselines/baselines.hpp"

namespace dxhub::bench::baselines {

namespace {

std::vector<double> or_empty(expected<std::vector<double>>&& samples_result) {
  return samples_result ? std::move(samples_result).value() : std::vector<double>{};
}

double or_zero(const expected<double>& rate_result) {
  return rate_result ? rate_result.value() : 0.0;
}

} // namespace

std::vector<double> cacheline_pingpong(const latency_options& opts) {
  return or_empty(try_cacheline_pingpong(opts));
}

std::vector<double> futex_pingpong(const latency_options& opts) {
  return or_empty(try_futex_pingpong(opts));
}

std::vector<double> unix_socket_latency(const latency_options& opts) {
  return or_empty(try_unix_socket_latency(opts));
}

std::vector<double> message_queue_latency(const latency_options& opts) {
  return or_empty(try_message_queue_latency(opts));
}

double unix_socket_throughput(const throughput_options& opts) {
  return or_zero(try_unix_socket_throughput(opts));
}

double message_queue_throughput(const throughput_options& opts) {
  return or_zero(try_message_queue_throughput(opts));
}

} // namespace dxhub::bench::baselines
