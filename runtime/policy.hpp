#pragma once

#include "dxhub/runtime/transport.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dxhub::runtime {

/// How a subscriber takes the frames of a channel.
enum class policy : uint8_t {
  /// Lossy: a slow subscriber loses its oldest frames; the publisher never waits.
  latest,
  /// Lossless: the publisher waits up to `reliable_timeout` for a slow
  /// subscriber, then reports it (the frame is then dropped for that subscriber only).
  reliable,
  /// Competing consumers: subscribers of one group share the stream, each
  /// frame goes to exactly one of them (the first member with room claims
  /// it). Frames a member held when it died are lost, not redelivered; the
  /// other members handle every later frame. Works in one process and across
  /// processes over shared memory.
  work,
};

std::string_view name(policy p) noexcept;

/// Whether frames of a channel can reach a subscriber of policy `p` over
/// transport `via` as the policy promises (the table in docs/runtime.md).
/// Unsupported: `policy_conflict` naming both and why; `automatic` is
/// always fine (the transport is checked again once it is known).
expected<void> check_policy(policy p, transport via);
std::string to_string(policy p);
bool parse_policy(std::string_view text, policy& out) noexcept;

/// Options of one subscription; every default needs no configuration.
struct subscription_options {
  runtime::policy policy = policy::latest;
  /// Frames waiting for the subscriber beyond those in its mailbox.
  uint32_t queue_depth = 8;
  /// Frames in the subscriber's mailbox or hands at once; the next one is sent
  /// when a handle is released (bounds memory even for a slow actor).
  uint32_t window = 2;
  /// How long a `reliable` publisher waits for this subscriber.
  std::chrono::milliseconds reliable_timeout{1000};
  /// The group of a `work` subscription (one stream shared by its members).
  std::string group = "default";
  /// The schema the subscriber expects; a different channel schema is refused.
  std::optional<schema_id> expect;
  /// Forces a transport (tests, diagnostics); `automatic` picks the cheapest.
  runtime::transport force = transport::automatic;
  /// Busy-poll instead of sleeping on shared memory (lowest latency, one core).
  bool busy_poll = false;
  /// Over shared memory, if above 0: look for a frame this often instead of
  /// sleeping until the publisher wakes the reader. The publisher then wakes
  /// nobody (no syscall in its publish, no reader thread competing for its
  /// core at that moment); a frame waits up to this long. For subscribers that
  /// show frames to a person (the dashboard). At most 1 s. With `latest` and
  /// a `queue_depth` of 1 such a reader has no queue at all over shared
  /// memory: each look takes the newest frame published since the last one,
  /// and the publisher does nothing for it per frame.
  std::chrono::milliseconds poll_period{0};
};

} // namespace dxhub::runtime
