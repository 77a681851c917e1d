#pragma once

// Who may talk to the dashboard: the token every request must carry (like a
// notebook server's), and the addresses it may listen on. Plain functions of
// text, so that they are tested without a server.

#include "dxhub/schemas/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace dxhub::actors::detail {

/// The cookie the dashboard sets once a page was opened with the token.
inline constexpr std::string_view dashboard_cookie = "dxhub_token";

/// A fresh token: 32 hex digits (128 bits) from the system's entropy source.
expected<std::string> make_dashboard_token();

/// True when `given` equals `token`; the time taken does not depend on where
/// they differ (a guesser learns nothing from it). An empty token matches nothing.
bool token_matches(std::string_view token, std::string_view given) noexcept;

/// The token a request carries: the `token` query parameter of `target`, else
/// an `Authorization: Bearer` header, else the dashboard's cookie; "" if none.
std::string token_of(std::string_view target, std::string_view authorization,
                     std::string_view cookie);

/// The path of a request target, without its query ("/app.js?x" -> "/app.js").
std::string_view path_of(std::string_view target) noexcept;

/// Where the dashboard listens.
struct listen_address {
  std::string host;
  uint16_t port = 0;
  bool loopback = true;
};

/// Reads "HOST:PORT" (HOST an IPv4 address, "localhost", or "[v6]"); a
/// non-loopback host is refused unless `allow_remote`, and then only with a
/// token (`invalid_argument` naming the reason either way).
expected<listen_address> parse_listen_address(std::string_view text, bool allow_remote,
                                              bool has_token);

} // namespace dxhub::actors::detail
