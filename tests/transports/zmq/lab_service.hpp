#pragma once

// What the zmq tests share: a scratch directory for ipc endpoints, and a
// small "lab service" that answers commands, used in-process and in zmq_peer.

#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/transports/zmq/client.hpp"
#include "dxhub/transports/zmq/payload.hpp"
#include "dxhub/transports/zmq/publisher.hpp"
#include "dxhub/transports/zmq/server.hpp"
#include "dxhub/transports/zmq/subscriber.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace dxhub::zmq::fixture {

/// A fresh directory under /tmp for ipc sockets, removed with everything in it.
class scratch_dir {
public:
  scratch_dir() {
    std::string pattern = "/tmp/dxhub-zmq-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr)
      path_ = pattern;
  }
  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::string ipc(const std::string& name) const { return "ipc://" + path_ + "/" + name; }

private:
  std::string path_;
};

/// Answers command `double` {"n": x} with {"n": 2x, "tag": caller}; other
/// commands with unknown_command.
inline void lab_service(request req, responder answer) {
  auto cmd = decode_payload<command>(req);
  if (!cmd) {
    answer.reject(cmd.error());
    return;
  }
  if (cmd.value().name != "double") {
    answer.fail(error{errc::unknown_command, cmd.value().name});
    return;
  }
  auto args = nlohmann::json::parse(cmd.value().args.text, nullptr, false);
  dxhub::reply result;
  result.id = cmd.value().id;
  nlohmann::json out{{"n", args.value("n", 0) * 2}, {"tag", cmd.value().caller}};
  result.result.text = out.dump();
  answer.reply(result);
}

/// The command the lab service answers.
inline command double_command(uint64_t id, int64_t n, const std::string& caller) {
  command cmd;
  cmd.id = id;
  cmd.caller = caller;
  cmd.service = "lab/doubler";
  cmd.name = "double";
  cmd.args.text = nlohmann::json{{"n", n}}.dump();
  return cmd;
}

/// Checks a reply of the lab service; empty when right.
inline std::string check_double_reply(const expected<wire_message>& answer, uint64_t id, int64_t n,
                                      const std::string& caller) {
  if (!answer)
    return answer.error().what();
  auto rep = decode_payload<dxhub::reply>(answer.value());
  if (!rep)
    return rep.error().what();
  auto doc = nlohmann::json::parse(rep.value().result.text, nullptr, false);
  if (rep.value().id != id || doc.value("n", int64_t{-1}) != 2 * n
      || doc.value("tag", std::string{}) != caller)
    return "reply " + std::to_string(rep.value().id) + " " + rep.value().result.text
           + " does not answer request " + std::to_string(id);
  return {};
}

} // namespace dxhub::zmq::fixture
