#include "dxhub/transports/zmq/security.hpp"

#include <zmq.h>

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace dxhub::zmq {

namespace {

expected<void> write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return last_system_error("open " + path.string());
  ::fchmod(fd, mode); // an existing file keeps its old mode through O_CREAT
  auto written = ::write(fd, text.data(), text.size());
  auto failed = written != static_cast<ssize_t>(text.size());
  ::close(fd);
  if (failed)
    return error{errc::system_error, "write " + path.string()};
  return ok();
}

// Reads `key = "value"` lines: the first line whose name (the text before
// the first '=', blanks after it ignored) is `key`; the value is what lies
// between the first '"' after the '=' and the last '"' of the line. A line
// that starts with '#' is a comment; a '#' anywhere else is text (Z85 keys
// hold '#' and '=').
std::string read_value(const std::string& text, const std::string& key) {
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos)
      continue;
    auto name = line.substr(0, eq);
    name.erase(name.find_last_not_of(" \t") + 1);
    if (name != key)
      continue;
    auto first = line.find('"', eq);
    auto last = line.rfind('"');
    if (first == std::string::npos || last <= first)
      return {};
    return line.substr(first + 1, last - first - 1);
  }
  return {};
}

} // namespace

curve_keypair generate_keypair() {
  std::array<char, 41> public_key{};
  std::array<char, 41> secret_key{};
  zmq_curve_keypair(public_key.data(), secret_key.data());
  return {public_key.data(), secret_key.data()};
}

expected<void> validate_key(const std::string& key) {
  std::array<uint8_t, 32> raw{};
  if (key.size() != 40 || zmq_z85_decode(raw.data(), key.c_str()) == nullptr)
    return error{errc::invalid_argument, "a CURVE key is 40 characters of Z85"};
  return ok();
}

expected<void> save_keypair(const std::filesystem::path& path, const curve_keypair& keys) {
  DXHUB_TRYV(validate_key(keys.public_key));
  DXHUB_TRYV(validate_key(keys.secret_key));
  std::string header = "# dxhub CURVE key pair: keep this file secret\n";
  DXHUB_TRYV(write_file(path,
                        header + "public-key = \"" + keys.public_key + "\"\nsecret-key = \""
                            + keys.secret_key + "\"\n",
                        0600));
  auto pub = path;
  pub += ".pub";
  return write_file(pub, "# dxhub CURVE public key\npublic-key = \"" + keys.public_key + "\"\n",
                    0644);
}

expected<curve_keypair> load_keypair(const std::filesystem::path& path) {
  std::ifstream in{path};
  if (!in)
    return error{errc::system_error, "cannot read key file " + path.string()};
  std::stringstream text;
  text << in.rdbuf();
  curve_keypair keys{read_value(text.str(), "public-key"), read_value(text.str(), "secret-key")};
  if (auto valid = validate_key(keys.public_key); !valid)
    return error{errc::config_error, path.string() + ": no valid public-key"};
  if (!keys.secret_key.empty() && !validate_key(keys.secret_key))
    return error{errc::config_error, path.string() + ": the secret-key is not valid"};
  return keys;
}

expected<std::vector<std::string>> read_allow_list(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return error{errc::config_error, "CURVE allow-list '" + path + "' cannot be read"};
  std::vector<std::string> keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    // A CR alone is the empty line of a CRLF file: skipped like any blank line.
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#')
      continue;
    auto key = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (auto valid = validate_key(key); !valid)
      return error{errc::invalid_argument,
                   path + ":" + std::to_string(number) + ": " + valid.error().context};
    keys.push_back(std::move(key));
  }
  return keys;
}

} // namespace dxhub::zmq
