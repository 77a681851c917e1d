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

/// The peer roles: "actor-serve REGISTRY DIR CPU" and "zmq-echo ENDPOINT CPU".
int run_call_peer(const std::string& role, const std::vector<std::string>& args);

} // namespace dxhub::bench::runtime
