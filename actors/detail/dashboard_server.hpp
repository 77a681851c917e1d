#pragma once

// The dashboard's HTTP + WebSocket server (Boost.Beast on a thread of its
// own): it serves the page to requests that carry the token and keeps one
// WebSocket per open page. It knows nothing of the lab: what a page asks
// goes to its owner (the dashboard actor) through a sink, what the owner
// says goes out through `send_text` and `send_frame`.

#include "dxhub/schemas/expected.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dxhub::actors::detail {

/// Limits and address of a dashboard server.
struct dashboard_server_options {
  std::string host = "127.0.0.1";
  /// 0: any free port (tests).
  uint16_t port = 8080;
  /// Required on every request and WebSocket (never empty).
  std::string token;
  /// Largest WebSocket message a page may send; a larger one closes its
  /// socket (close code 1009), the server keeps serving.
  std::size_t max_message_bytes = std::size_t{64} * 1024;
  /// Text messages waiting for a slow page before it is disconnected.
  std::size_t max_queued_messages = 512;
  /// Open pages at once; more are refused (503).
  std::size_t max_clients = 32;
};

/// What the server hands to its owner, called on the server's thread.
struct dashboard_sink {
  std::function<void(uint64_t client)> opened;
  std::function<void(uint64_t client, std::string text)> received;
  std::function<void(uint64_t client)> closed;
};

class dashboard_server {
public:
  /// Binds the listening socket; an address in use or not ours is an error value.
  static expected<std::shared_ptr<dashboard_server>> open(dashboard_server_options options);

  ~dashboard_server();
  dashboard_server(const dashboard_server&) = delete;
  dashboard_server& operator=(const dashboard_server&) = delete;

  /// The port it listens on (the chosen one for port 0).
  uint16_t port() const noexcept;

  /// "http://HOST:PORT/?token=TOKEN", what a person opens.
  std::string url() const;

  /// Starts serving on the server's thread, handing pages' messages to `sink`.
  void start(dashboard_sink sink);

  /// Closes every page and stops the thread (idempotent; not from the sink).
  void stop();

  /// Sends a text message to page `client`, or to every page for client 0.
  void send_text(uint64_t client, std::string text);

  /// Sends a binary frame message to `client`, replacing one of the same
  /// `key` still waiting: a slow page gets the newest frame, never a backlog.
  void send_frame(uint64_t client, std::string key,
                  const std::shared_ptr<const std::string>& bytes);

  /// Pages open now.
  std::size_t clients() const noexcept;

  struct core;

private:
  explicit dashboard_server(std::shared_ptr<core> c);
  std::shared_ptr<core> core_;
};

} // namespace dxhub::actors::detail
