#include "dxhub/actors/replayer.hpp"

#include "dxhub/actors/detail/stock_actor.hpp"
#include "dxhub/actors/recording_reader.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json_member.hpp"

#include <caf/all.hpp>

#include <optional>

namespace dxhub::actors {

namespace {

using replay_atom = caf::atom_constant<caf::atom("rpl_next")>;

struct replayed_channel {
  std::size_t index = 0; // in the reader
  std::string published_as;
  runtime::publisher pub;
  uint64_t next = 0;
  std::optional<recorded_header> pending;
  uint64_t published = 0;
};

struct replayer_state {
  replayer_config cfg;
  std::optional<recording_reader> reader;
  std::vector<replayed_channel> channels;
  detail::failure_count failures;
  int64_t start_ns = 0;
  int64_t origin_ns = 0;
  bool started = false;
  bool done = false;
  uint64_t loops = 0;
  static inline const char* name = "replayer";
};

using replayer_actor = caf::stateful_actor<replayer_state>;

nlohmann::json state_json(const replayer_state& st) {
  auto chans = nlohmann::json::array();
  uint64_t total = 0;
  for (const auto& c : st.channels) {
    chans.push_back({{"channel", st.reader ? st.reader->channels()[c.index].channel : ""},
                     {"published_as", c.published_as},
                     {"published", c.published},
                     {"frames", st.reader ? st.reader->channels()[c.index].frames : 0}});
    total += c.published;
  }
  return {{"path", st.cfg.path},
          {"replay_of", st.reader ? st.reader->run_id() : std::string{}},
          {"rate", st.cfg.rate},
          {"loop", st.cfg.loop},
          {"loops", st.loops},
          {"published", total},
          {"channels", chans},
          {"done", st.done},
          {"failures", st.failures.count},
          {"last_failure", st.failures.last}};
}

void load_next(replayer_state& st, replayed_channel& c) {
  c.pending.reset();
  if (c.next >= st.reader->channels()[c.index].frames)
    return;
  auto h = st.reader->header(c.index, c.next);
  if (h)
    c.pending = h.value();
  else
    st.failures.note(h.error());
}

void rewind(replayer_state& st) {
  st.started = false;
  for (auto& c : st.channels) {
    c.next = 0;
    load_next(st, c);
  }
}

expected<void> publish_one(replayer_state& st, replayed_channel& c) {
  const auto& rec = *c.pending;
  DXHUB_TRY(loan, c.pub.loan());
  DXHUB_TRYV(st.reader->read(c.index, c.next, loan.payload()));
  auto& h = loan.header();
  h.experiment_time = rec.header.experiment_time;
  h.meta = rec.header.meta;
  // A full metadata buffer keeps the recorded pairs; the replay marks are then missing.
  (void)h.meta.set("replay_of", st.reader->run_id());
  (void)h.meta.set("replay_sequence", std::to_string(rec.header.sequence));
  DXHUB_TRYV(c.pub.publish(std::move(loan)));
  return ok();
}

void finish(replayer_actor* self) {
  auto& st = self->state;
  st.done = true;
  (void)runtime::emit(self, st.cfg.service + "/state", "replay_done",
                      json_text{state_json(st).dump()});
}

void step(replayer_actor* self) {
  auto& st = self->state;
  if (st.done)
    return;
  replayed_channel* next = nullptr;
  for (auto& c : st.channels)
    if (c.pending
        && (next == nullptr || c.pending->header.monotonic_ns < next->pending->header.monotonic_ns))
      next = &c;
  if (next == nullptr) {
    ++st.loops;
    if (!st.cfg.loop)
      return finish(self);
    rewind(st);
    self->send(self, replay_atom::value);
    return;
  }
  auto now = monotonic_ns();
  if (!st.started) {
    st.started = true;
    st.start_ns = now;
    st.origin_ns = next->pending->header.monotonic_ns;
  }
  if (st.cfg.rate > 0) {
    auto offset = static_cast<double>(next->pending->header.monotonic_ns - st.origin_ns);
    auto due = st.start_ns + static_cast<int64_t>(offset / st.cfg.rate);
    if (due > now) {
      self->delayed_send(self, std::chrono::nanoseconds{due - now}, replay_atom::value);
      return;
    }
  }
  if (auto sent = publish_one(st, *next); sent)
    ++next->published;
  else
    st.failures.note(sent.error());
  ++next->next;
  load_next(st, *next);
  self->send(self, replay_atom::value);
}

expected<void> open_replayer(replayer_actor* self) {
  auto& st = self->state;
  DXHUB_TRY(reader, recording_reader::open(st.cfg.path));
  st.reader.emplace(std::move(reader));
  std::vector<std::size_t> picked;
  if (st.cfg.channels.empty()) {
    for (std::size_t i = 0; i < st.reader->channels().size(); ++i)
      picked.push_back(i);
  } else {
    for (const auto& name : st.cfg.channels) {
      DXHUB_TRY(i, st.reader->find(name));
      picked.push_back(i);
    }
  }
  if (picked.empty())
    return error{errc::invalid_argument, st.cfg.path + " holds no channel"};
  runtime::publisher_options opts;
  opts.chunk_count = st.cfg.chunk_count;
  for (auto i : picked) {
    const auto& rc = st.reader->channels()[i];
    replayed_channel c;
    c.index = i;
    auto renamed = st.cfg.rename.find(rc.channel);
    c.published_as = renamed == st.cfg.rename.end() ? rc.channel : renamed->second;
    DXHUB_TRY(pub, runtime::publish(self, c.published_as, rc.schema, opts));
    c.pub = std::move(pub);
    st.channels.push_back(std::move(c));
  }
  rewind(st);
  self->delayed_send(self, st.cfg.start_delay, replay_atom::value);
  return ok();
}

caf::behavior replayer_behavior(replayer_actor* self, replayer_config cfg) {
  return detail::start_stock_actor(
      self, std::move(cfg), state_json,
      [self](runtime::command_table& cmds) {
        cmds.on("stop", [self] {
          if (!self->state.done)
            finish(self);
          return state_json(self->state);
        });
        return open_replayer(self);
      },
      [self](replay_atom) { step(self); });
}

} // namespace

expected<replayer_config> replayer_config_from(const runtime::actor_args& args) {
  const auto& p = args.params;
  replayer_config c;
  c.name = args.name;
  auto bad = [&](const std::string& what) {
    return error{errc::invalid_argument, "replayer '" + c.name + "': " + what};
  };
  try {
    c.service = p.value("service", args.name);
    c.path = p.value("path", c.path);
    if (p.contains("channels"))
      c.channels = p.at("channels").get<std::vector<std::string>>();
    if (p.contains("rename"))
      c.rename = p.at("rename").get<std::map<std::string, std::string>>();
    if (auto r = p.find("rate"); r != p.end()) {
      if (r->is_string() && r->get<std::string>() == "max")
        c.rate = 0;
      else if (r->is_number())
        c.rate = r->get<double>();
      else
        return bad("rate must be a number or \"max\"");
    }
    c.loop = p.value("loop", c.loop);
    c.start_delay = std::chrono::milliseconds{member_or(p, "start_delay_ms", int64_t{0})};
    c.chunk_count = member_or(p, "chunk_count", c.chunk_count);
  } catch (const std::exception& e) {
    return bad(e.what());
  }
  if (c.path.empty())
    return bad("no path");
  if (c.rate < 0)
    return bad("rate must be positive (or \"max\")");
  if (c.chunk_count == 0)
    return bad("chunk_count must be positive");
  return c;
}

caf::actor spawn_replayer(caf::actor_system& sys, replayer_config config) {
  return sys.spawn<caf::detached>(replayer_behavior, std::move(config));
}

} // namespace dxhub::actors
