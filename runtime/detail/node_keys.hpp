#pragma once

// A node's CURVE keys: its own key pair, the client keys its sockets let in
// (the allow-list), and the registry's public key; and the socket options
// they make. Loaded once when the network starts; read-only afterwards.

#include "dxhub/runtime/node_options.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/transports/zmq/security.hpp"
#include "dxhub/transports/zmq/socket_options.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dxhub::runtime::detail {

/// The CURVE public key a node announces in its registry records ("" if none).
std::string curve_key_of(const registry_record& rec);

class node_keys {
public:
  /// Reads the key files of `o`. Beyond this host only when allowed and with
  /// CURVE: a node `name` whose `endpoint` is not ipc or loopback tcp needs
  /// `allow_remote` and a secret key (else permission_denied). Errors of the
  /// files: config_error (allow-list unreadable), invalid_argument (a bad key,
  /// naming its file and line; a public key file given as the secret one).
  static expected<node_keys> load(const node_options& o, const std::string& name,
                                  const std::string& endpoint);

  node_keys() = default;

  /// This node's CURVE public key ("" without CURVE).
  std::string public_key() const { return keys_ ? keys_->public_key : std::string{}; }

  /// The registry's public key ("" if not given).
  const std::string& registry_key() const noexcept { return registry_key_; }

  /// Options of a socket that binds: a CURVE server with the allow-list
  /// when this node has keys.
  zmq::socket_options listening_options() const;

  /// Options of a socket that connects to a server with public key
  /// `server_key`: a CURVE client when both sides have keys.
  zmq::socket_options client_options(const std::string& server_key) const;

private:
  std::optional<zmq::curve_keypair> keys_;
  std::vector<std::string> allowed_;
  std::string registry_key_;
};

} // namespace dxhub::runtime::detail
