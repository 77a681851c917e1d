#include "dxhub/runtime/detail/node_keys.hpp"

#include "dxhub/transports/zmq/endpoint.hpp"

#include <nlohmann/json.hpp>

namespace dxhub::runtime::detail {

namespace {

bool loopback_or_local(const std::string& text) {
  auto ep = zmq::parse_endpoint(text);
  if (!ep || ep.value().kind != zmq::endpoint::transport::tcp)
    return true;
  const auto& host = ep.value().host;
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

} // namespace

expected<node_keys> node_keys::load(const node_options& o, const std::string& name,
                                    const std::string& endpoint) {
  node_keys result;
  if (!o.curve_secret_file.empty()) {
    DXHUB_TRY(keys, zmq::load_keypair(o.curve_secret_file));
    if (keys.secret_key.empty())
      return error{errc::invalid_argument,
                   "'" + o.curve_secret_file + "' holds no secret key (a .pub file?)"};
    result.keys_ = std::move(keys);
  }
  if (!o.curve_allow_file.empty()) {
    DXHUB_TRY(allowed, zmq::read_allow_list(o.curve_allow_file));
    result.allowed_ = std::move(allowed);
  }
  if (!o.registry_public_file.empty()) {
    DXHUB_TRY(registry, zmq::load_keypair(o.registry_public_file));
    result.registry_key_ = registry.public_key;
  }
  // Security by default: beyond this host only when allowed, and with CURVE.
  if (!loopback_or_local(endpoint) && !(o.allow_remote && result.keys_))
    return error{errc::permission_denied,
                 "node '" + name + "': endpoint " + endpoint
                     + " is not loopback; that needs allow_remote and CURVE keys (curve-secret)"};
  return result;
}

zmq::socket_options node_keys::listening_options() const {
  zmq::socket_options opts;
  if (keys_)
    opts.curve_server = zmq::server_security{*keys_, allowed_};
  return opts;
}

zmq::socket_options node_keys::client_options(const std::string& server_key) const {
  zmq::socket_options opts;
  if (keys_ && !server_key.empty())
    opts.curve_client = zmq::client_security{*keys_, server_key};
  return opts;
}

std::string curve_key_of(const registry_record& rec) {
  // Asked on every remote call: parsing the properties each time would cost
  // more than encoding the call. Most records carry no key; a caller calls
  // the same service again and again.
  const auto& text = rec.properties.text;
  if (text.find("curve_public") == std::string::npos)
    return {};
  thread_local std::string last_text;
  thread_local std::string last_key;
  if (text == last_text)
    return last_key;
  auto props = nlohmann::json::parse(text, nullptr, false);
  std::string key;
  if (props.is_object() && props.contains("curve_public") && props["curve_public"].is_string())
    key = props["curve_public"].get<std::string>();
  last_text = text;
  last_key = key;
  return key;
}

} // namespace dxhub::runtime::detail
