#include "dxhub/runtime/detail/event_bus.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/audit_trail.hpp"
#include "dxhub/runtime/detail/command_audit.hpp"
#include "dxhub/runtime/detail/network.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/runtime/detail/quiet.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/name.hpp"

#include <caf/all.hpp>

#include <thread>

namespace dxhub::runtime::detail {

namespace {

/// Numbers `e` in its source's sequence and stamps it if it has no time yet.
void stamp(event_bus_state& st, event& e) {
  if (e.wall_ns == 0)
    e.wall_ns = wall_ns();
  e.sequence = st.sequence[e.source]++;
}

void deliver(const event_bus_state& st, const event& e) {
  for (const auto& m : st.members)
    if (name_has_prefix(e.topic, m.prefix))
      caf::anon_send(m.who, e); // anonymous: a subscriber's answer never comes back here
}

/// Hands local events to the other nodes (none when not networked).
void forward(const node_parts& parts, std::vector<event> batch) {
  if (parts.net != nullptr && !batch.empty())
    parts.net->events().forward(std::move(batch));
}

} // namespace

caf::behavior event_bus(caf::stateful_actor<event_bus_state>* self, node_parts* parts) {
  ignore_unexpected(self);
  self->set_down_handler([=](caf::down_msg& dm) {
    std::erase_if(self->state.members, [&](const auto& m) { return m.who.address() == dm.source; });
  });
  return {
      [=](publish_atom, event e) {
        stamp(self->state, e);
        deliver(self->state, e);
        forward(*parts, {std::move(e)});
      },
      [=](flush_atom) {
        std::vector<event> batch;
        auto slice_start = monotonic_ns();
        const int64_t slice_ns =
            std::chrono::nanoseconds{parts->options.timing.audit_slice}.count();
        for (const auto& entry : parts->audit->take()) {
          auto e = audit_event(entry);
          stamp(self->state, e);
          deliver(self->state, e);
          batch.push_back(std::move(e));
          // Encoding is the costly part of auditing (JSON of each argument
          // and result). The scheduler would let a big batch run for a whole
          // time slice, holding up the calls being audited on this core:
          // give way every audit slice.
          if (monotonic_ns() - slice_start > slice_ns) {
            std::this_thread::yield();
            slice_start = monotonic_ns();
          }
        }
        forward(*parts, std::move(batch));
      },
      [=](remote_atom, const event& e) { deliver(self->state, e); },
      [=](join_atom, const std::string& prefix, const caf::actor& who) {
        self->monitor(who);
        self->state.members.push_back({prefix, who});
        if (parts->net != nullptr)
          parts->net->events().watch(prefix);
      },
      [=](leave_atom, const std::string& prefix, const caf::actor& who) {
        std::erase_if(self->state.members,
                      [&](const auto& m) { return m.who == who && m.prefix == prefix; });
      },
  };
}

} // namespace dxhub::runtime::detail
