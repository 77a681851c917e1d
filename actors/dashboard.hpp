#pragma once

// The dashboard: a live web page of the running lab, served by dxhub itself
// (HTTP + one WebSocket per page, Boost.Beast). The page shows the nodes,
// services and channels (what `dxhub ls` and `inspect` know) at least twice
// a second, the newest frame of an image channel and the traces of a
// waveform channel (subscribed `latest`: the publisher never waits for the
// page), the event and audit stream, and a form per service command. Every
// request carries a token printed at start; commands go through the same
// audited call path as any other caller, with the dashboard's user as the
// caller, and can be turned off. `dxhub dashboard` runs one; a deployment
// can host one as actor type `dashboard`.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace dxhub::actors {

struct dashboard_config {
  /// The actor's label; with the user, the caller of its commands.
  std::string name = "dashboard";
  /// "HOST:PORT"; a non-loopback host needs `allow_remote`.
  std::string listen = "127.0.0.1:8080";
  bool allow_remote = false;
  /// Refuses every command from the page.
  bool read_only = false;
  /// The token every request must carry; empty: a fresh random one.
  std::string token;
  /// Who drives the lab from the page (default: the process's user).
  std::string user;
  /// How often the overview is sent to the pages.
  std::chrono::milliseconds overview_period{400};
  /// Frames per second sent to a page per view, at most.
  double max_view_hz = 60;
  /// How often the dashboard looks for a new frame of a channel it shows over
  /// shared memory. It polls rather than sleeping until the publisher wakes
  /// it: a display must not cost the publisher a wake-up per frame, nor
  /// compete for the publisher's core at the moment it publishes. A frame
  /// waits up to this long before it is sent.
  std::chrono::milliseconds frame_poll{8};
  /// Events kept for a page that opens late.
  std::size_t event_backlog = 200;
  /// How long a command from the page may take.
  std::chrono::milliseconds command_timeout{5000};
  /// If set, the page's URL (with the token) is written there, mode 0600.
  std::string url_file;
};

/// Reads a dashboard config from deployment parameters: `listen`,
/// `allow_remote`, `read_only`, `token`, `user`, `overview_ms`,
/// `max_view_hz`, `poll_ms` (`frame_poll`, 1..1000), `url_file` (default
/// "NAME.url" in the node's directory).
expected<dashboard_config> dashboard_config_from(const runtime::actor_args& args);

/// A dashboard that serves.
struct running_dashboard {
  caf::actor actor;
  /// What a person opens: "http://HOST:PORT/?token=TOKEN".
  std::string url;
  std::string token;
};

/// Listens (a bad or busy address, a remote one without `allow_remote`, are
/// errors) and spawns the actor that serves the pages. Needs the node of
/// `sys`. The server stops with the actor.
expected<running_dashboard> start_dashboard(caf::actor_system& sys, dashboard_config config);

/// `start_dashboard` for the actor type "dashboard".
expected<caf::actor> spawn_dashboard(caf::actor_system& sys, dashboard_config config);

} // namespace dxhub::actors
