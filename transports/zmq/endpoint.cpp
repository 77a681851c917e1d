#include "dxhub/transports/zmq/endpoint.hpp"

#include <charconv>

namespace dxhub::zmq {

namespace {

constexpr std::size_t max_ipc_path = 107; // sizeof(sockaddr_un::sun_path) - 1

bool host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
         || c == '-';
}

expected<endpoint> parse_tcp(std::string_view rest, const endpoint_policy& policy) {
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos)
    return error{errc::invalid_argument, "tcp endpoint needs a port: tcp://host:port"};
  endpoint ep;
  ep.kind = endpoint::transport::tcp;
  ep.host = std::string{rest.substr(0, colon)};
  auto port_text = rest.substr(colon + 1);
  if (port_text == "*") {
    ep.port = 0;
  } else {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535
        || port_text.empty())
      return error{errc::invalid_argument, "bad tcp port '" + std::string{port_text} + "'"};
    ep.port = static_cast<uint16_t>(port);
  }
  if (ep.host.empty())
    ep.host = "127.0.0.1";
  if (ep.host == "*" || ep.host == "0.0.0.0") {
    if (!policy.allow_all_interfaces)
      return error{errc::permission_denied,
                   "binding on all interfaces needs allow_all_interfaces in the configuration"};
    ep.host = "*";
    return ep;
  }
  if (ep.host.size() > 253)
    return error{errc::invalid_argument, "tcp host name too long"};
  for (char c : ep.host)
    if (!host_char(c))
      return error{errc::invalid_argument, "bad character in tcp host '" + ep.host + "'"};
  return ep;
}

} // namespace

std::string endpoint::to_string() const {
  switch (kind) {
    case transport::ipc:
      return "ipc://" + path;
    case transport::inproc:
      return "inproc://" + path;
    case transport::tcp:
      break;
  }
  return "tcp://" + host + ":" + (port == 0 ? std::string{"*"} : std::to_string(port));
}

expected<endpoint> parse_endpoint(std::string_view text, const endpoint_policy& policy) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return error{errc::invalid_argument,
                 "endpoint '" + std::string{text} + "' has no scheme (ipc://, tcp://, inproc://)"};
  auto scheme = text.substr(0, sep);
  auto rest = text.substr(sep + 3);
  if (scheme == "tcp")
    return parse_tcp(rest, policy);
  if (scheme != "ipc" && scheme != "inproc")
    return error{errc::invalid_argument, "unknown endpoint scheme '" + std::string{scheme} + "'"};
  if (rest.empty())
    return error{errc::invalid_argument, std::string{scheme} + " endpoint needs a path"};
  if (scheme == "ipc" && rest.size() > max_ipc_path)
    return error{errc::invalid_argument, "ipc path longer than 107 bytes"};
  for (char c : rest)
    if (c == '\0')
      return error{errc::invalid_argument, "endpoint holds a NUL byte"};
  endpoint ep;
  ep.kind = scheme == "ipc" ? endpoint::transport::ipc : endpoint::transport::inproc;
  ep.path = std::string{rest};
  return ep;
}

} // namespace dxhub::zmq
