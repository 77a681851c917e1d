#pragma once

// The dashboard's page (HTML, CSS, JavaScript from actors/dashboard/),
// compiled into the library at build time so that the program serves it
// wherever it is installed, with nothing to find on disk.

#include <optional>
#include <string_view>

namespace dxhub::actors::detail {

/// One file of the page.
struct dashboard_asset {
  std::string_view content_type;
  std::string_view body;
};

/// The file served at `path` ("/" is index.html), or nothing.
std::optional<dashboard_asset> find_dashboard_asset(std::string_view path);

} // namespace dxhub::actors::detail
