#include "dxhub/actors/relay.hpp"

#include "dxhub/actors/detail/stock_actor.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cstring>

namespace dxhub::actors {

namespace {

struct relay_state {
  relay_config cfg;
  runtime::subscription sub;
  runtime::publisher pub;
  uint64_t forwarded = 0;
  detail::failure_count failures;
  static inline const char* name = "relay";
};

using relay_actor = caf::stateful_actor<relay_state>;

nlohmann::json state_json(const relay_state& st) {
  return {{"from", st.cfg.from},
          {"to", st.cfg.to},
          {"forwarded", st.forwarded},
          {"failures", st.failures.count},
          {"last_failure", st.failures.last}};
}

void forward(relay_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  if (!st.pub) {
    // The outgoing channel takes the schema of the first frame.
    auto pub = runtime::publish(self, st.cfg.to, f.schema());
    if (!pub)
      return st.failures.note(pub.error());
    st.pub = std::move(pub.value());
  }
  auto loan = st.pub.loan();
  if (!loan)
    return st.failures.note(loan.error());
  auto out = loan.value().payload();
  auto in = f.payload();
  std::memcpy(out.data(), in.data(), std::min(out.size(), in.size()));
  loan.value().header().experiment_time = f.header().experiment_time;
  loan.value().header().meta = f.header().meta;
  if (auto sent = st.pub.publish(std::move(loan.value())); !sent)
    return st.failures.note(sent.error());
  ++st.forwarded;
}

expected<void> open_relay(relay_actor* self) {
  auto& st = self->state;
  runtime::subscription_options opts;
  opts.policy = st.cfg.reliable ? runtime::policy::reliable : runtime::policy::latest;
  DXHUB_TRY(sub, runtime::subscribe(self, st.cfg.from, opts));
  st.sub = std::move(sub);
  return ok();
}

caf::behavior relay_behavior(relay_actor* self, relay_config cfg) {
  return detail::start_stock_actor(
      self, std::move(cfg), state_json,
      [self](runtime::command_table&) { return open_relay(self); },
      [self](const runtime::frame& f) { forward(self, f); }, [](const runtime::channel_status&) {});
}

} // namespace

expected<relay_config> relay_config_from(const runtime::actor_args& args) {
  relay_config c;
  c.name = args.name;
  c.service = args.param("service", args.name);
  c.from = args.param("from", args.subscribes.empty() ? std::string{} : args.subscribes[0]);
  c.to = args.param("to", args.publishes.empty() ? std::string{} : args.publishes[0]);
  c.reliable = args.param("reliable", c.reliable);
  if (c.from.empty() || c.to.empty())
    return error{errc::invalid_argument, "relay '" + c.name + "': needs 'from' and 'to' channels"};
  if (c.from == c.to)
    return error{errc::invalid_argument, "relay '" + c.name + "': 'from' and 'to' are the same"};
  return c;
}

caf::actor spawn_relay(caf::actor_system& sys, relay_config config) {
  return sys.spawn(relay_behavior, std::move(config));
}

} // namespace dxhub::actors
