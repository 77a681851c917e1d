#pragma once

// What a caller is told when a call fails: always the service and the
// command, whichever path (router, remote call gates) the call took.

#include "dxhub/runtime/call_timeout.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/error.hpp"

#include <chrono>
#include <string>

namespace dxhub::runtime::detail {

/// How long a service has for `cmd` (its own timeout, or the default).
inline std::chrono::milliseconds call_timeout(const command& cmd) {
  return cmd.timeout_ms > 0 ? std::chrono::milliseconds{cmd.timeout_ms} : default_call_timeout;
}

inline error service_went_down(const std::string& service, const std::string& command,
                               const std::string& why) {
  return {errc::peer_down, "service '" + service + "' went down during '" + command + "': " + why};
}

inline error service_did_not_answer(const std::string& service, const std::string& command,
                                    std::chrono::milliseconds timeout) {
  return {errc::timeout, "service '" + service + "' did not answer '" + command + "' within "
                             + std::to_string(timeout.count()) + " ms"};
}

/// `e`, the failure of `cmd`, as its caller should read it: a timeout or a
/// lost peer names the service and the command; other errors pass unchanged.
inline error describe_call_failure(const command& cmd, error e) {
  if (e.code == errc::timeout)
    return service_did_not_answer(cmd.service, cmd.name, call_timeout(cmd));
  if (e.code == errc::peer_down && e.context.find(cmd.service) == std::string::npos)
    return service_went_down(cmd.service, cmd.name, e.context);
  return e;
}

} // namespace dxhub::runtime::detail
