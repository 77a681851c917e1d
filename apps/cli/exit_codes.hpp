#pragma once

// The exit codes of `dxhub`, the same for every command, so that scripts can
// branch on them (documented in docs/user-guide.md).

#include "dxhub/schemas/error.hpp"

namespace dxhub::cli {

enum exit_code : int {
  exit_ok = 0,
  /// The command ran and failed: bad frames, an error reply, a crashed deployment.
  exit_failure = 1,
  /// Bad arguments or a bad input file (nothing was done).
  exit_usage = 2,
  /// The channel, service, command or file named does not exist.
  exit_not_found = 3,
  /// No registry configured or reachable.
  exit_no_registry = 4,
  /// Nothing (or not enough) arrived within the timeout.
  exit_timeout = 5,
};

/// The exit code for an error value.
inline int exit_code_of(const error& e) {
  switch (e.code) {
    case errc::invalid_argument:
    case errc::invalid_name:
    case errc::config_error:
    case errc::unknown_actor_type:
    case errc::bad_encoding:
      return exit_usage;
    case errc::unknown_channel:
    case errc::unknown_service:
    case errc::unknown_command:
    case errc::segment_not_found:
      return exit_not_found;
    case errc::no_registry:
      return exit_no_registry;
    case errc::timeout:
      return exit_timeout;
    default:
      return exit_failure;
  }
}

} // namespace dxhub::cli
