#pragma once

// How long a caller waits for an answer when it does not say: one figure for
// services, the registry and the event relay, so that a slow link is
// diagnosed the same way on every path.

#include <chrono>

namespace dxhub::runtime {

/// The default time a caller waits for a service (the registry included).
inline constexpr std::chrono::milliseconds default_call_timeout{2000};

/// How much longer than a command's own timeout a caller in the service's
/// process waits: the router answers `request_timeout` itself at the
/// command's timeout, with its audit record, and that answer must win.
inline constexpr std::chrono::milliseconds caller_grace{250};

} // namespace dxhub::runtime
