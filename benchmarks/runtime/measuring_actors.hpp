#pragma once

// The two actors of a frame measurement between processes: the subscriber
// here, which hands each frame to the measurement, and the publisher of the
// peer process, which runs the measurement's publishing loop on a channel of
// its own node. Latency and rate measurements differ only in those two
// callbacks.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/policy.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/event_based_actor.hpp>

#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <string>

namespace dxhub::bench::runtime {

/// How a measurement ends: the first `finish` wins, "" when complete, else why not.
struct outcome {
  std::promise<std::string> done;
  bool finished = false;

  void finish(std::string why);
};

/// Subscribes `channel` with `options`; each frame that came over shared
/// memory goes to `take`. A failed subscription, a refused channel or a frame
/// over another transport finishes `out` with the reason.
caf::behavior measuring_subscriber(caf::event_based_actor* self, std::string channel,
                                   dxhub::runtime::subscription_options options,
                                   std::function<void(const dxhub::runtime::frame&)> take,
                                   std::shared_ptr<outcome> out);

/// The body of a publishing peer: a local node publishes `channel` (raw
/// frames of `bytes`) from a detached actor; once a reader attached, `loop`
/// publishes and returns what follows "DONE" on the line to the parent (or
/// an error, printed as "ERROR ..."). Keeps the channel open until the
/// parent says stop, then leaves the process.
[[noreturn]] void
run_publishing_peer(const std::string& channel, std::size_t bytes,
                    std::function<expected<std::string>(dxhub::runtime::publisher&)> loop);

} // namespace dxhub::bench::runtime
