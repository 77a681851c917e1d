#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace dxhub {

/// The one error vocabulary of dxhub, shared by every layer.
///
/// Value 0 means "no error". Every value has a stable snake_case name (used on
/// the wire and in JSON) and a one-line message; see `name()` and `message()`.
/// The numbers are on the wire: a value nothing raises any more becomes a
/// `reserved_N` placeholder instead of being removed (docs/protocol.md, section 7.1,
/// whose table the test style.protocol_doc keeps equal to this enum).
enum class errc : uint8_t {
  none = 0,
  // -- generic ----------------------------------------------------------------
  invalid_argument, ///< A caller passed a value outside its domain.
  timeout,          ///< The operation did not complete within its deadline.
  would_block,      ///< Nothing available now; try again (not a failure).
  system_error,     ///< The operating system refused a call (errno in context).
  // -- names and schemas -------------------------------------------------------
  invalid_name,    ///< A channel, service or node name breaks the naming rules.
  schema_mismatch, ///< Two schema identities differ; the context names both.
  reserved_7,      ///< Was `unknown_schema` (never raised); kept so later values stay.
  unknown_channel, ///< No channel of that name exists.
  unknown_service, ///< No service of that name exists.
  unknown_command, ///< The service does not know the command.
  already_exists,  ///< The name is taken (by a live owner).
  // -- shared-memory segments ---------------------------------------------------
  segment_not_found, ///< No shared-memory segment of that name exists.
  foreign_segment,   ///< The segment is not a dxhub segment (bad magic).
  layout_mismatch,   ///< The segment's layout version or sizes differ.
  segment_too_small, ///< The segment is smaller than its header claims.
  permission_denied, ///< The segment or socket may not be opened by this user.
  pool_exhausted,    ///< No free chunk is left in the pool.
  subscribers_full,  ///< The channel's subscriber table is full.
  frame_too_large,   ///< The frame does not fit in a chunk or message limit.
  slow_subscriber,   ///< A reliable subscriber did not keep up within the timeout.
  publisher_gone,    ///< The channel's publisher died or left.
  policy_conflict,   ///< The transport cannot keep the policy's promise (context names both).
  // -- messages on the wire -------------------------------------------------------
  malformed_message,   ///< The message structure is wrong (frames, fields).
  truncated_message,   ///< The message is shorter than its header says.
  oversized_message,   ///< The message exceeds the configured maximum size.
  bad_magic,           ///< The message does not start with the dxhub magic.
  unsupported_version, ///< The protocol version is not supported.
  bad_encoding,        ///< The payload does not decode (bad binary or JSON).
  unauthenticated,     ///< The peer is not authenticated or not allowed.
  // -- runtime and services ------------------------------------------------------
  peer_down,     ///< The peer process, node or actor is gone.
  service_error, ///< The service reported a failure (details in context).
  no_registry,   ///< The registry cannot be reached.
  reserved_33,   ///< Was `lease_expired` (never raised: a lapsed lease is re-registered).
  // -- deployment -----------------------------------------------------------------
  config_error,       ///< A configuration or deployment file is invalid.
  unknown_actor_type, ///< No actor type of that name is registered.
  restart_limit,      ///< A restart intensity limit was exceeded.
};

/// The number of values in `errc`, for tables and range checks.
inline constexpr uint8_t errc_count = static_cast<uint8_t>(errc::restart_limit) + 1;

/// The stable snake_case name of `code`, e.g. "schema_mismatch".
std::string_view name(errc code) noexcept;

/// A one-line, human-readable description of `code`.
std::string_view message(errc code) noexcept;

/// Parses a name produced by `name()`; returns false for unknown names.
bool parse_errc(std::string_view text, errc& out) noexcept;

/// The `std::error_category` of dxhub errors ("dxhub").
const std::error_category& error_category() noexcept;

/// Makes `errc` usable as `std::error_code`.
std::error_code make_error_code(errc code) noexcept;

/// An error value: a code plus the context that names what went wrong
/// (e.g. both schemas of a mismatch, the offending field, the errno text).
struct error {
  errc code = errc::none;
  std::string context;

  error() = default;
  error(errc c) : code(c) {} // NOLINT(google-explicit-constructor): errc is an error
  error(errc c, std::string ctx) : code(c), context(std::move(ctx)) {}

  /// "message: context", e.g. "schema mismatch: channel has ..., caller has ...".
  std::string what() const;

  explicit operator bool() const noexcept { return code != errc::none; }
  friend bool operator==(const error& x, errc y) noexcept { return x.code == y; }
};

/// An error from the current `errno`, naming the call that failed.
error last_system_error(std::string_view call);

} // namespace dxhub

template <>
struct std::is_error_code_enum<dxhub::errc> : std::true_type {};
