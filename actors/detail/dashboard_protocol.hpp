#pragma once

// What the dashboard's page and server say to each other over the one
// WebSocket: requests from the page (JSON text, bounded, read strictly) and
// frames to the page (binary: a JSON header, then the bytes of one field).

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dxhub::actors::detail {

/// The largest request the page may send (a command's arguments included).
inline constexpr std::size_t max_dashboard_request = std::size_t{64} * 1024;

/// Views a page may show at once.
inline constexpr std::size_t max_dashboard_views = 8;

/// One live view: an image (a 2-D numeric field) or a waveform (a 1-D/2-D
/// float field) of a channel.
struct dashboard_view {
  std::string channel;
  /// "image" or "waveform".
  std::string kind;
  friend bool operator==(const dashboard_view&, const dashboard_view&) = default;
};

/// A request from the page.
struct dashboard_request {
  enum class type : uint8_t {
    /// Show these views (replaces the previous set).
    watch,
    /// Send a command to a service.
    command,
  };
  dashboard_request::type what = type::watch;
  std::vector<dashboard_view> views;
  /// The page's number for a command, echoed in the reply.
  uint64_t id = 0;
  std::string service;
  std::string command;
  /// The command's arguments (a JSON object, or null).
  nlohmann::json args;
};

/// Reads a request: larger than `max_dashboard_request`, not JSON, of an
/// unknown type or with a missing or mistyped member, it is an error value
/// naming the problem (the page shows it; the server keeps serving).
expected<dashboard_request> parse_dashboard_request(std::string_view text);

/// The field a view of `kind` shows in frames of `schema`: the first 2-D
/// numeric field for "image", the first 1-D or 2-D float field for
/// "waveform"; an error naming the fields there are otherwise.
expected<std::string> field_for_view(const frame_schema& schema, std::string_view kind);

/// A binary message for the page: 4 bytes little-endian header length, the
/// header as JSON (padded with spaces so that `data` starts at a multiple of
/// 8 bytes), then `data`.
std::string frame_message(const nlohmann::json& header, std::span<const std::byte> data);

} // namespace dxhub::actors::detail
