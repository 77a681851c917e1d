#define CAF_SUITE runtime.node_keys
#include "dxhub/runtime/detail/node_keys.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace dxhub;
using namespace dxhub::runtime;
using namespace dxhub::runtime::detail;

namespace {

/// A directory of key files, removed with the fixture.
struct key_files {
  std::filesystem::path dir;

  key_files() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dxhub-keys-XXXXXX").string();
    CAF_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
  }
  ~key_files() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  std::string pair(const std::string& name, const zmq::curve_keypair& keys) const {
    auto path = dir / name;
    CAF_REQUIRE(zmq::save_keypair(path, keys));
    return path.string();
  }

  std::string text(const std::string& name, const std::string& content) const {
    auto path = dir / name;
    std::ofstream{path} << content;
    return path.string();
  }
};

const std::string loopback = "tcp://127.0.0.1:0";

void check_error(const expected<node_keys>& keys, errc code, const std::string& part) {
  CAF_REQUIRE(!keys);
  CAF_CHECK_EQUAL(name(keys.error().code), name(code));
  CAF_CHECK(keys.error().context.find(part) != std::string::npos);
}

} // namespace

CAF_TEST(without key files a local node has no CURVE) {
  node_options o;
  auto keys = node_keys::load(o, "n", loopback);
  CAF_REQUIRE(keys);
  CAF_CHECK_EQUAL(keys.value().public_key(), "");
  CAF_CHECK(!keys.value().listening_options().curve_server);
  CAF_CHECK(!keys.value().client_options("whatever").curve_client);
  CAF_REQUIRE(node_keys::load(o, "n", "ipc:///tmp/x/n"));
}

CAF_TEST(keys make a CURVE server with the allow list and a client of a keyed server) {
  key_files files;
  auto mine = zmq::generate_keypair();
  auto peer = zmq::generate_keypair();
  auto registry = zmq::generate_keypair();
  node_options o;
  o.curve_secret_file = files.pair("node.key", mine);
  // CRLF line ends, the empty line included.
  o.curve_allow_file = files.text("allow", "# peers\r\n\r\n  " + peer.public_key + "  \r\n\r\n");
  o.registry_public_file = files.pair("registry.key", registry) + ".pub";
  auto keys = node_keys::load(o, "n", loopback);
  CAF_REQUIRE(keys);
  CAF_CHECK_EQUAL(keys.value().public_key(), mine.public_key);
  CAF_CHECK_EQUAL(keys.value().registry_key(), registry.public_key);
  auto server = keys.value().listening_options().curve_server;
  CAF_REQUIRE(server);
  CAF_CHECK_EQUAL(server->server.secret_key, mine.secret_key);
  CAF_REQUIRE_EQUAL(server->allowed_clients.size(), 1u);
  CAF_CHECK_EQUAL(server->allowed_clients[0], peer.public_key);
  CAF_CHECK(!keys.value().client_options("").curve_client);
  auto client = keys.value().client_options(peer.public_key).curve_client;
  CAF_REQUIRE(client);
  CAF_CHECK_EQUAL(client->server_public_key, peer.public_key);
}

CAF_TEST(bad key files are refused naming the file) {
  key_files files;
  auto mine = zmq::generate_keypair();
  node_options o;
  o.curve_secret_file = files.pair("node.key", mine) + ".pub";
  check_error(node_keys::load(o, "n", loopback), errc::invalid_argument, "no secret key");
  o.curve_secret_file.clear();
  o.curve_allow_file = files.text("allow", "# peers\nnot-a-key\n");
  check_error(node_keys::load(o, "n", loopback), errc::invalid_argument, "allow:2");
  // '#' starts a comment only at the start of a line (blanks before it
  // allowed); after a key it is not one (docs/protocol.md, section 9.1).
  auto peer = zmq::generate_keypair();
  o.curve_allow_file = files.text("allow", "  # peers\n" + peer.public_key + "  # alice\n");
  check_error(node_keys::load(o, "n", loopback), errc::invalid_argument, "allow:2");
  o.curve_allow_file = (files.dir / "missing").string();
  check_error(node_keys::load(o, "n", loopback), errc::config_error, "missing");
}

CAF_TEST(a node beyond this host needs allow_remote and CURVE) {
  key_files files;
  node_options o;
  check_error(node_keys::load(o, "n", "tcp://10.1.2.3:5555"), errc::permission_denied, "10.1.2.3");
  o.allow_remote = true;
  check_error(node_keys::load(o, "n", "tcp://10.1.2.3:5555"), errc::permission_denied, "CURVE");
  o.curve_secret_file = files.pair("node.key", zmq::generate_keypair());
  CAF_CHECK(node_keys::load(o, "n", "tcp://10.1.2.3:5555"));
}
