#pragma once

// The floors that every dxhub transport is measured against, taken on the same
// machine in the same run: what the hardware and the kernel can do at best
// between two processes, so that a transport's figure reads as "N times the
// floor" rather than as a bare number.
//
// Every latency and throughput figure is taken between TWO PROCESSES (the
// caller and a forked child), the two ends pinned to different cores. Latency
// samples are one-way times in nanoseconds, measured as half of a round trip
// on the caller's CLOCK_MONOTONIC (no cross-process clock comparison). The
// plain functions return an empty vector (or 0) when the measurement fails;
// the `try_` variants say why.

#include "dxhub/schemas/expected.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

namespace dxhub::bench::baselines {

/// How a latency baseline runs: message size, samples kept, samples discarded
/// first, and the cores of the two ends (caller on `cpu_a`, child on `cpu_b`).
struct latency_options {
  std::size_t bytes = 64;
  std::size_t iterations = 20000;
  std::size_t warmup = 1000;
  int cpu_a = 0, cpu_b = 1;
};

/// How a throughput baseline runs: message size, sending time, cores.
struct throughput_options {
  std::size_t bytes = 64;
  std::chrono::milliseconds duration{1000};
  int cpu_a = 0, cpu_b = 1;
};

/// The largest message the message_queue baselines accept (the queue reserves
/// depth x size of shared memory up front).
inline constexpr std::size_t message_queue_max_bytes = std::size_t{64} << 20;

/// One-way ns (RTT/2) of a shared cache line in MAP_SHARED memory, both sides
/// spinning: the polling floor. `bytes` is ignored (always one cache line).
std::vector<double> cacheline_pingpong(const latency_options&);

/// One-way ns of FUTEX_WAIT/FUTEX_WAKE on shared words, the waiter always
/// sleeping: the blocking floor. `bytes` is ignored.
std::vector<double> futex_pingpong(const latency_options&);

/// One-way ns of an AF_UNIX SOCK_STREAM ping-pong of `bytes` each way.
std::vector<double> unix_socket_latency(const latency_options&);

/// One-way ns of a boost::interprocess::message_queue ping-pong of `bytes`
/// (at most `message_queue_max_bytes`).
std::vector<double> message_queue_latency(const latency_options&);

/// Messages/s of `bytes` received (full payload) by the other process over an
/// AF_UNIX SOCK_STREAM socket, one receive call per message.
double unix_socket_throughput(const throughput_options&);

/// Messages/s of `bytes` through a boost::interprocess::message_queue.
double message_queue_throughput(const throughput_options&);

/// Bytes/s copying `bytes` buffers with memcpy in one thread: the physical
/// limit for producing the bytes of a frame.
double memcpy_bandwidth(std::size_t bytes, std::chrono::milliseconds duration);

// -- the same measurements, with the reason of a failure ----------------------

expected<std::vector<double>> try_cacheline_pingpong(const latency_options&);
expected<std::vector<double>> try_futex_pingpong(const latency_options&);
expected<std::vector<double>> try_unix_socket_latency(const latency_options&);
expected<std::vector<double>> try_message_queue_latency(const latency_options&);
expected<double> try_unix_socket_throughput(const throughput_options&);
expected<double> try_message_queue_throughput(const throughput_options&);

} // namespace dxhub::bench::baselines
