#include "dxhub/actors/dashboard.hpp"

#include "dxhub/actors/detail/dashboard_access.hpp"
#include "dxhub/actors/detail/dashboard_overview.hpp"
#include "dxhub/actors/detail/dashboard_protocol.hpp"
#include "dxhub/actors/detail/dashboard_server.hpp"
#include "dxhub/actors/supervisor.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/events.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <array>
#include <deque>
#include <fcntl.h>
#include <map>
#include <pwd.h>
#include <set>
#include <unistd.h>

namespace dxhub::actors {

namespace {

// What the server thread tells the actor (messages of this process only).
using page_open_atom = caf::atom_constant<caf::atom("dash_open")>;
using page_msg_atom = caf::atom_constant<caf::atom("dash_msg")>;
using page_close_atom = caf::atom_constant<caf::atom("dash_close")>;
using overview_atom = caf::atom_constant<caf::atom("dash_tick")>;

/// A channel the dashboard reads: for the views of some pages, or once to
/// learn its fields (a probe, cancelled after the first frame).
struct feed {
  runtime::subscription sub;
  int64_t last_sent_ns = 0;
  /// Per view kind: the field shown, or why none can be.
  std::map<std::string, expected<std::string>> fields;
};

struct dashboard_state {
  dashboard_config cfg;
  std::shared_ptr<detail::dashboard_server> server;
  std::unique_ptr<detail::dashboard_overview> overview;
  /// The views of every open page.
  std::map<uint64_t, std::vector<detail::dashboard_view>> pages;
  std::map<std::string, feed> feeds;
  std::deque<nlohmann::json> events;
  bool listing = false;
  static inline const char* name = "dashboard";
};

using dashboard_actor = caf::stateful_actor<dashboard_state>;

/// The shortest token a user may choose (a generated one has 32 hex digits).
constexpr std::size_t min_token_size = 16;

std::string user_name() {
  passwd entry{};
  passwd* found = nullptr;
  std::array<char, 4096> buf{};
  if (::getpwuid_r(::geteuid(), &entry, buf.data(), buf.size(), &found) == 0 && found != nullptr
      && entry.pw_name != nullptr)
    return entry.pw_name;
  return "uid" + std::to_string(::geteuid());
}

nlohmann::json event_json(const event& e) {
  auto data = parse_json(e.data.text);
  return {{"topic", e.topic},     {"source", e.source},
          {"kind", e.kind},       {"sequence", e.sequence},
          {"wall_ns", e.wall_ns}, {"data", data ? data.value() : nlohmann::json(e.data.text)}};
}

void send_json(dashboard_actor* self, uint64_t page, const nlohmann::json& j) {
  self->state.server->send_text(page,
                                j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void send_error(dashboard_actor* self, uint64_t page, const error& e) {
  send_json(self, page, {{"type", "error"}, {"error", e.what()}});
}

bool viewed(const dashboard_state& st, const std::string& channel) {
  for (const auto& [page, views] : st.pages)
    for (const auto& v : views)
      if (v.channel == channel)
        return true;
  return false;
}

/// Subscribes to `channel` unless it already is: `latest`, a queue of one,
/// one frame in hand, so that the publisher and other readers never wait;
/// polled (over shared memory), so that the publisher has nobody to wake.
void open_feed(dashboard_actor* self, const std::string& channel) {
  auto& st = self->state;
  if (st.feeds.contains(channel))
    return;
  runtime::subscription_options opts;
  opts.policy = runtime::policy::latest;
  opts.queue_depth = 1;
  opts.window = 1;
  opts.poll_period = st.cfg.frame_poll;
  auto sub = runtime::subscribe(self, channel, opts);
  if (!sub) {
    for (const auto& [page, views] : st.pages)
      for (const auto& v : views)
        if (v.channel == channel)
          send_error(self, page, sub.error());
    return;
  }
  st.feeds[channel].sub = std::move(sub.value());
}

void close_unviewed_feeds(dashboard_actor* self) {
  auto& st = self->state;
  for (auto it = st.feeds.begin(); it != st.feeds.end();) {
    if (!viewed(st, it->first) && st.overview->knows_schema(it->first)) {
      it->second.sub.cancel();
      it = st.feeds.erase(it);
    } else {
      ++it;
    }
  }
}

/// The newest frame of a channel to every page that views it, at most
/// `max_view_hz` times a second; the handle is let go before this returns.
void show_frame(dashboard_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  if (!st.overview->knows_schema(f.channel()))
    st.overview->saw_schema(f.channel(), f.schema());
  auto found = st.feeds.find(f.channel());
  if (found == st.feeds.end())
    return;
  auto& fd = found->second;
  if (!viewed(st, f.channel())) {
    close_unviewed_feeds(self);
    return;
  }
  auto now = monotonic_ns();
  if (now - fd.last_sent_ns < static_cast<int64_t>(1e9 / st.cfg.max_view_hz))
    return;
  fd.last_sent_ns = now;
  std::map<std::string, std::shared_ptr<const std::string>> encoded;
  for (const auto& [page, views] : st.pages)
    for (const auto& v : views) {
      if (v.channel != f.channel())
        continue;
      auto [field, fresh] = fd.fields.try_emplace(v.kind, std::string{});
      if (fresh)
        field->second = detail::field_for_view(f.schema(), v.kind);
      if (!field->second) {
        if (fresh)
          send_json(self, 0,
                    {{"type", "view_error"},
                     {"channel", v.channel},
                     {"kind", v.kind},
                     {"error", field->second.error().what()}});
        continue;
      }
      auto& message = encoded[v.kind];
      if (!message) {
        const auto& name = field->second.value();
        auto bytes = f.view().field_bytes(name);
        auto where = f.schema().locate(name);
        if (!bytes || !where)
          continue;
        std::vector<uint64_t> shape{where.value().dims.extents().begin(),
                                    where.value().dims.extents().end()};
        dtype type = dtype::u8;
        for (const auto& fl : f.schema().fields)
          if (fl.name == name)
            type = fl.type;
        nlohmann::json header{{"type", "frame"},
                              {"channel", f.channel()},
                              {"kind", v.kind},
                              {"field", name},
                              {"dtype", std::string{dxhub::name(type)}},
                              {"shape", shape},
                              {"sequence", f.header().sequence},
                              {"session", f.header().session},
                              {"wall_ns", f.header().wall_ns},
                              {"sent_wall_ns", wall_ns()},
                              {"experiment_time", f.header().experiment_time}};
        message = std::make_shared<const std::string>(detail::frame_message(header, bytes.value()));
      }
      st.server->send_frame(page, f.channel() + "|" + v.kind, message);
    }
}

void watch(dashboard_actor* self, uint64_t page, std::vector<detail::dashboard_view> views) {
  auto& st = self->state;
  st.pages[page] = std::move(views);
  for (const auto& v : st.pages[page]) {
    open_feed(self, v.channel);
    // A kind already known not to fit is said again to the page that asks.
    if (auto fd = st.feeds.find(v.channel); fd != st.feeds.end())
      if (auto k = fd->second.fields.find(v.kind); k != fd->second.fields.end() && !k->second)
        send_json(self, page,
                  {{"type", "view_error"},
                   {"channel", v.channel},
                   {"kind", v.kind},
                   {"error", k->second.error().what()}});
  }
  close_unviewed_feeds(self);
}

void reply_to(dashboard_actor* self, uint64_t page, const detail::dashboard_request& rq,
              int64_t started, const expected<nlohmann::json>& result) {
  nlohmann::json out{{"type", "reply"},
                     {"id", rq.id},
                     {"service", rq.service},
                     {"command", rq.command},
                     {"latency_ms", static_cast<double>(monotonic_ns() - started) / 1e6},
                     {"ok", result.has_value()}};
  if (result)
    out["result"] = result.value();
  else
    out["error"] = result.error().what();
  send_json(self, page, out);
}

/// A command from a page: looked up and called like any caller's, so the
/// serving node audits it with this actor (NAME:USER) as the caller.
void run_command(dashboard_actor* self, uint64_t page, const detail::dashboard_request& rq) {
  auto& st = self->state;
  auto started = monotonic_ns();
  if (st.cfg.read_only) {
    reply_to(self, page, rq, started,
             error{errc::permission_denied,
                   "this dashboard is read-only (started with --read-only): commands are off"});
    return;
  }
  auto timeout = st.cfg.command_timeout;
  runtime::lookup(self, rq.service, timeout)
      .then(
          [self, page, rq, started, timeout](const runtime::service& svc) {
            auto args = rq.args.is_null() ? std::string{"{}"} : rq.args.dump();
            runtime::call_json(self, svc, rq.command, json_text{args}, timeout)
                .then(
                    [self, page, rq, started](const reply& r) {
                      if (!r.ok()) {
                        reply_to(self, page, rq, started, error{r.code, r.error_context});
                        return;
                      }
                      auto result = parse_json(r.result.text);
                      reply_to(self, page, rq, started,
                               result ? result.value() : nlohmann::json(r.result.text));
                    },
                    [self, page, rq, started](caf::error& e) {
                      reply_to(self, page, rq, started, from_caf_error(e));
                    });
          },
          [self, page, rq, started](caf::error& e) {
            reply_to(self, page, rq, started, from_caf_error(e));
          });
}

void received(dashboard_actor* self, uint64_t page, const std::string& text) {
  auto rq = detail::parse_dashboard_request(text);
  if (!rq) {
    send_error(self, page, rq.error());
    return;
  }
  if (rq.value().what == detail::dashboard_request::type::watch)
    watch(self, page, std::move(rq.value().views));
  else
    run_command(self, page, rq.value());
}

void opened(dashboard_actor* self, uint64_t page) {
  auto& st = self->state;
  st.pages[page] = {};
  send_json(self, page,
            {{"type", "hello"},
             {"node", runtime::node::of(self->home_system())->name()},
             {"caller", runtime::source_name(self)},
             {"read_only", st.cfg.read_only},
             {"overview_ms", st.cfg.overview_period.count()}});
  nlohmann::json backlog = nlohmann::json::array();
  for (const auto& e : st.events)
    backlog.push_back(e);
  send_json(self, page, {{"type", "events"}, {"events", backlog}});
  send_json(self, page,
            st.overview->snapshot(monotonic_ns(), wall_ns(), static_cast<int>(::getpid())));
}

void closed(dashboard_actor* self, uint64_t page) {
  self->state.pages.erase(page);
  close_unviewed_feeds(self);
}

void heard(dashboard_actor* self, const event& e) {
  auto& st = self->state;
  st.overview->heard(e);
  auto j = event_json(e);
  // Registrations, lease renewals and listings (the dashboard's own among
  // them) are the runtime's bookkeeping, a dozen a second: they would push
  // the lab's own events and commands out of the page's list.
  if (e.topic == "dxhub/audit/command" && j["data"].is_object()
      && j["data"].value("target", "") == runtime::registry_service)
    return;
  st.events.push_back(j);
  while (st.events.size() > st.cfg.event_backlog)
    st.events.pop_front();
  if (!st.pages.empty())
    send_json(self, 0, {{"type", "event"}, {"event", j}});
}

/// Asks the registry for everything it knows; the answer updates the nodes
/// and services of the next overview.
void list_registry(dashboard_actor* self) {
  auto& st = self->state;
  if (st.listing)
    return;
  st.listing = true;
  auto timeout = runtime::default_call_timeout;
  runtime::lookup(self, runtime::registry_service, timeout)
      .then(
          [self, timeout](const runtime::service& registry) {
            runtime::call_json(self, registry, "list",
                               json_text{encode_json(runtime::registry_query{})}, timeout)
                .then(
                    [self](const reply& r) {
                      self->state.listing = false;
                      auto records = runtime::result_of<runtime::registry_records>(r);
                      if (records)
                        self->state.overview->listed(records.value().records, wall_ns());
                      else
                        self->state.overview->unlisted(records.error().what());
                    },
                    [self](caf::error& e) {
                      self->state.listing = false;
                      self->state.overview->unlisted(from_caf_error(e).what());
                    });
          },
          [self](caf::error& e) {
            self->state.listing = false;
            self->state.overview->unlisted(from_caf_error(e).what());
          });
}

void tick(dashboard_actor* self) {
  auto& st = self->state;
  if (!st.pages.empty()) {
    list_registry(self);
    // Learns the fields of channels nobody views yet, so that the page can
    // offer the right ones for an image or a waveform.
    for (const auto& channel : st.overview->channels())
      if (!st.overview->knows_schema(channel))
        open_feed(self, channel);
    send_json(self, 0,
              st.overview->snapshot(monotonic_ns(), wall_ns(), static_cast<int>(::getpid())));
  }
  self->delayed_send(self, st.cfg.overview_period, overview_atom::value);
}

caf::behavior dashboard_behavior(dashboard_actor* self, dashboard_config cfg,
                                 std::shared_ptr<detail::dashboard_server> server) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.server = std::move(server);
  auto* n = runtime::node::of(self->home_system());
  st.overview =
      std::make_unique<detail::dashboard_overview>(n != nullptr ? n->host_id() : std::string{});
  runtime::set_label(self, st.cfg.name + ":" + st.cfg.user);
  if (auto subscribed = runtime::subscribe_events(self, ""); !subscribed) {
    self->quit(make_error(subscribed.error().code, subscribed.error().context));
    return {};
  }
  caf::weak_actor_ptr weak = self->ctrl();
  auto tell = [weak](auto... xs) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), xs...);
  };
  st.server->start(
      detail::dashboard_sink{[tell](uint64_t page) { tell(page_open_atom::value, page); },
                             [tell](uint64_t page, std::string text) {
                               tell(page_msg_atom::value, page, std::move(text));
                             },
                             [tell](uint64_t page) { tell(page_close_atom::value, page); }});
  self->attach_functor([server = st.server] { server->stop(); });
  // A frame or status of a channel it no longer reads, or a stale reply,
  // must not end the dashboard (CAF 0.17 kills on unhandled messages).
  self->set_default_handler(caf::drop);
  self->send(self, overview_atom::value);
  return {
      [self](page_open_atom, uint64_t page) { opened(self, page); },
      [self](page_msg_atom, uint64_t page, const std::string& text) { received(self, page, text); },
      [self](page_close_atom, uint64_t page) { closed(self, page); },
      [self](overview_atom) { tick(self); },
      [self](const runtime::frame& f) { show_frame(self, f); },
      [self](const runtime::channel_status& s) {
        if (viewed(self->state, s.channel))
          send_json(self, 0,
                    {{"type", "channel_status"},
                     {"channel", s.channel},
                     {"state", runtime::to_string(s.what)},
                     {"session", s.session},
                     {"detail", s.detail}});
      },
      [self](const event& e) { heard(self, e); },
      answer_watchdog(),
  };
}

/// Writes the URL where only this user can read it (it holds the token).
expected<void> write_url_file(const std::string& path, const std::string& url) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return error{errc::system_error, "dashboard: cannot write " + path};
  auto text = url + "\n";
  auto written = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    return error{errc::system_error, "dashboard: cannot write " + path};
  return ok();
}

} // namespace

expected<dashboard_config> dashboard_config_from(const runtime::actor_args& args) {
  dashboard_config c;
  c.name = args.name.empty() ? c.name : args.name;
  c.listen = args.param("listen", c.listen);
  c.allow_remote = args.param("allow_remote", c.allow_remote);
  c.read_only = args.param("read_only", c.read_only);
  c.token = args.param("token", c.token);
  c.user = args.param("user", c.user);
  c.overview_period = std::chrono::milliseconds{
      args.param("overview_ms", static_cast<int64_t>(c.overview_period.count()))};
  c.max_view_hz = args.param("max_view_hz", c.max_view_hz);
  c.frame_poll =
      std::chrono::milliseconds{args.param("poll_ms", static_cast<int64_t>(c.frame_poll.count()))};
  c.url_file = args.param("url_file", c.name + ".url");
  if (c.overview_period.count() < 50 || c.overview_period.count() > 10000)
    return error{errc::invalid_argument,
                 "dashboard '" + c.name + "': overview_ms must be in [50, 10000]"};
  if (c.frame_poll.count() < 1 || c.frame_poll.count() > 1000)
    return error{errc::invalid_argument,
                 "dashboard '" + c.name + "': poll_ms must be in [1, 1000]"};
  if (!(c.max_view_hz > 0))
    return error{errc::invalid_argument, "dashboard '" + c.name + "': max_view_hz must be > 0"};
  return c;
}

expected<running_dashboard> start_dashboard(caf::actor_system& sys, dashboard_config config) {
  DXHUB_TRY(node, runtime::node::require(sys));
  (void)node;
  if (config.token.empty()) {
    DXHUB_TRY(token, detail::make_dashboard_token());
    config.token = std::move(token);
  } else if (config.token.size() < min_token_size) {
    // A short token is guessed by trying: the page can drive instruments.
    return error{errc::invalid_argument, "dashboard: a token needs at least "
                                             + std::to_string(min_token_size) + " characters"};
  }
  if (config.user.empty())
    config.user = user_name();
  DXHUB_TRY(where, detail::parse_listen_address(config.listen, config.allow_remote,
                                                !config.token.empty()));
  detail::dashboard_server_options opts;
  opts.host = where.host;
  opts.port = where.port;
  opts.token = config.token;
  opts.max_message_bytes = detail::max_dashboard_request;
  DXHUB_TRY(server, detail::dashboard_server::open(opts));
  running_dashboard out;
  out.url = server->url();
  out.token = config.token;
  if (!config.url_file.empty())
    DXHUB_TRYV(write_url_file(config.url_file, out.url));
  out.actor = sys.spawn(dashboard_behavior, std::move(config), std::move(server));
  return out;
}

expected<caf::actor> spawn_dashboard(caf::actor_system& sys, dashboard_config config) {
  DXHUB_TRY(running, start_dashboard(sys, std::move(config)));
  return running.actor;
}

} // namespace dxhub::actors
