#pragma once

// Request/reply round trips to another process on this host: an actor
// `call` to a service found through the registry (the registry in this
// process, the service in a peer process, ZeroMQ over ipc between them),
// and raw cppzmq DEALER -> ROUTER echo over ipc with the same payload bytes,
// taken in alternating blocks so that both see the same machine.

#include "dxhub/schemas/expected.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace dxhub::bench::runtime {

struct call_run {
  std::size_t bytes = 64; ///< payload: a string of this many bytes (echoed back)
  std::size_t calls = 2000;
  std::size_t warmup = 100;
  std::size_t block = 250; ///< calls of one kind before the other kind's turn
  int peer_cpu = 1;
  std::string dir; ///< where the ipc sockets live (a private temporary folder)
};

/// Round-trip ns per call, both ways measured in alternating blocks.
struct call_samples {
  /// DEALER send, ROUTER echo in the peer, DEALER recv.
  std::vector<double> raw;
  /// `call(self, service, "echo", blob)` until its reply arrives.
  std::vector<double> actor;
};

expected<call_samples> call_round_trips(const call_run& run);

/// Small commands to a node while another client's large request is in
/// flight (issue 20): a real node in a peer process serves two services over
/// ipc; one client sends `large_bytes` requests to one of them, one after the
/// other, while a second client sends `small_bytes` commands to the other
/// and times each round trip. The same small commands are timed without the
/// large requests first. Both clients send dxhub envelopes (zmq::blocking_client).
struct large_run {
  std::size_t small_bytes = 64;
  std::size_t large_bytes = std::size_t{50} << 20;
  std::size_t calls = 2000; ///< small round trips without large requests
  std::size_t large = 5;    ///< large requests, one after the other
  std::size_t warmup = 100;
  int peer_cpu = 1;
  std::string dir;
};

/// Round-trip ns of the small commands without and during large requests,
/// and of the large requests themselves.
struct large_samples {
  std::vector<double> idle;
  /// Small round trips that started and ended while a large request was in flight.
  std::vector<double> during;
  std::vector<double> large;
};

expected<large_samples> calls_during_large_requests(const large_run& run);

/// The peer roles: "actor-serve REGISTRY DIR CPU" and "zmq-echo ENDPOINT CPU".
int run_call_peer(const std::string& role, const std::vector<std::string>& args);

} // namespace dxhub::bench::runtime
