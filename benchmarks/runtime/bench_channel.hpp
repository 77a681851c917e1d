#pragma once

// What the frame measurements of dxhub-bench-runtime share: the channel of
// one measurement (its schema, a name of its own, its segment removed
// however the measurement ends) and the conversation with the publishing
// peer (waiting for a reader, its "DONE"/"ERROR ..." lines).

#include "dxhub/benchmarks/runtime/peer_process.hpp"
#include "dxhub/runtime/node_options.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace dxhub::bench::runtime {

/// `bytes` of raw payload, schema "dxhub.bench.frame".
frame_schema schema_for(std::size_t bytes);

/// A local node (no network) that reads shared memory: the measuring side.
dxhub::runtime::node_options subscriber_node();

/// A channel name no other measurement of any process uses.
std::string unique_channel(const char* what);

/// Removes the channel's segment when a measurement ends, however it ends.
struct channel_cleanup {
  std::string channel;
  ~channel_cleanup();
};

/// `code` and `what`, plus the peer's own "ERROR ..." line if it said one.
error peer_failure(peer_process& peer, errc code, std::string what);

/// In a peer: polls `attached` for up to 10 s; false if it never held.
bool wait_for_reader(const std::function<bool()>& attached);

/// In a peer: one line to the parent, flushed (returns false, for `return say(...), 1`).
bool say(const std::string& line);

} // namespace dxhub::bench::runtime
