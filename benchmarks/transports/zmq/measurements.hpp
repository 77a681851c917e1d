#pragma once

// The measurements of dxhub-bench-zmq: request/reply round trips and pub/sub
// throughput, through the dxhub envelope API and through raw cppzmq.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace dxhub::bench::zmq {

struct run_options {
  std::string endpoint; // where the server or publisher binds
  std::size_t bytes = 64;
  std::size_t iterations = 1000; // round trips, or messages published
  std::size_t warmup = 100;
  /// Envelope only: send from a shared_ptr-owned buffer (borrow_payload, a
  /// release callback per message) instead of a buffer that outlives the
  /// sockets (static_payload, as the raw measurement does).
  bool shared_ownership = false;
};

/// Round-trip times in ns, one per iteration.
std::vector<double> envelope_round_trips(const run_options& o);
std::vector<double> raw_round_trips(const run_options& o);
/// The envelope through `blocking_client`: the caller's thread owns the
/// socket, as raw cppzmq's does (no io_loop hand-off on the client side).
std::vector<double> envelope_blocking_round_trips(const run_options& o);

/// Messages per second received by one subscriber.
double envelope_pubsub_rate(const run_options& o);
double raw_pubsub_rate(const run_options& o);

} // namespace dxhub::bench::zmq
