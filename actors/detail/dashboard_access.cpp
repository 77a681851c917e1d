#include "dxhub/actors/detail/dashboard_access.hpp"

#include <boost/asio/ip/address.hpp>

#include <array>
#include <charconv>
#include <fstream>

namespace dxhub::actors::detail {

namespace {

/// The value of parameter `key` in a query string or cookie header (items
/// separated by `sep`), or "".
std::string_view item_value(std::string_view items, std::string_view key, char sep) {
  while (!items.empty()) {
    auto end = items.find(sep);
    auto item = items.substr(0, end);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    if (item.size() > key.size() && item.substr(0, key.size()) == key && item[key.size()] == '=')
      return item.substr(key.size() + 1);
    if (end == std::string_view::npos)
      break;
    items.remove_prefix(end + 1);
  }
  return {};
}

} // namespace

expected<std::string> make_dashboard_token() {
  std::array<unsigned char, 16> bytes{};
  std::ifstream random{"/dev/urandom", std::ios::binary};
  if (!random.read(reinterpret_cast<char*>(bytes.data()), bytes.size()))
    return error{errc::system_error, "cannot read /dev/urandom for the dashboard's token"};
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string token;
  for (auto b : bytes) {
    token += hex[b >> 4];
    token += hex[b & 0x0f];
  }
  return token;
}

bool token_matches(std::string_view token, std::string_view given) noexcept {
  if (token.empty() || token.size() != given.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(token[i] ^ given[i]);
  return diff == 0;
}

std::string token_of(std::string_view target, std::string_view authorization,
                     std::string_view cookie) {
  if (auto q = target.find('?'); q != std::string_view::npos)
    if (auto t = item_value(target.substr(q + 1), "token", '&'); !t.empty())
      return std::string{t};
  static constexpr std::string_view bearer = "Bearer ";
  if (authorization.size() > bearer.size() && authorization.substr(0, bearer.size()) == bearer)
    return std::string{authorization.substr(bearer.size())};
  return std::string{item_value(cookie, dashboard_cookie, ';')};
}

std::string_view path_of(std::string_view target) noexcept {
  return target.substr(0, target.find('?'));
}

expected<listen_address> parse_listen_address(std::string_view text, bool allow_remote,
                                              bool has_token) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return error{errc::invalid_argument,
                 "--listen wants HOST:PORT (e.g. 127.0.0.1:8080), got '" + std::string{text} + "'"};
  listen_address out;
  out.host = std::string{text.substr(0, colon)};
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host == "localhost")
    out.host = "127.0.0.1";
  auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
    return error{errc::invalid_argument, "--listen: bad port '" + std::string{port_text} + "'"};
  out.port = static_cast<uint16_t>(port);
  boost::system::error_code bad;
  auto address = boost::asio::ip::make_address(out.host, bad);
  if (bad)
    return error{errc::invalid_argument,
                 "--listen: '" + out.host + "' is not an IP address (or localhost)"};
  out.loopback = address.is_loopback();
  if (!out.loopback && !allow_remote)
    return error{errc::invalid_argument,
                 "--listen " + std::string{text}
                     + " is not a loopback address: anyone on the network could watch and "
                       "drive the lab; add --allow-remote to mean it"};
  if (!out.loopback && !has_token)
    return error{errc::invalid_argument,
                 "--listen " + std::string{text} + ": a remote dashboard needs a token"};
  return out;
}

} // namespace dxhub::actors::detail
