#pragma once

// CURVE encryption and authentication: key pairs, key files, and the options
// of a server (its key pair and the allow-list of client public keys) and of
// a client (its key pair and the server's public key).

#include "dxhub/schemas/expected.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace dxhub::zmq {

/// A CURVE key pair, both keys as 40-character Z85 text.
struct curve_keypair {
  std::string public_key;
  std::string secret_key;
};

/// A fresh key pair from libsodium (through libzmq).
curve_keypair generate_keypair();

/// Succeeds when `key` is 40 characters of Z85 that decode to 32 bytes.
expected<void> validate_key(const std::string& key);

/// Writes `path` (both keys, mode 0600) and `path` + ".pub" (the public key,
/// mode 0644). The secret file is created with 0600 before any byte is written.
expected<void> save_keypair(const std::filesystem::path& path, const curve_keypair& keys);

/// Reads a key file written by `save_keypair`; a ".pub" file gives a pair
/// with an empty secret key.
expected<curve_keypair> load_keypair(const std::filesystem::path& path);

/// Reads an allow-list file: one Z85 public key per line; blank lines and
/// lines starting with '#' are skipped. Errors: config_error (unreadable),
/// invalid_argument naming the file and line of a bad key.
expected<std::vector<std::string>> read_allow_list(const std::string& path);

/// A CURVE server: its key pair and the client public keys it lets in.
struct server_security {
  curve_keypair server;
  std::vector<std::string> allowed_clients;
};

/// A CURVE client: its key pair and the public key of the server it trusts.
struct client_security {
  curve_keypair client;
  std::string server_public_key;
};

} // namespace dxhub::zmq
