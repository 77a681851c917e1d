#include "dxhub/runtime/events.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/node_access.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/name.hpp"

#include <caf/local_actor.hpp>
#include <caf/send.hpp>

namespace dxhub::runtime {

expected<void> emit(caf::local_actor* self, const std::string& topic, const std::string& kind,
                    json_text data) {
  DXHUB_TRYV(validate_name(topic, "topic"));
  DXHUB_TRY(n, node::require(self->home_system()));
  event e;
  e.topic = topic;
  e.source = source_name(self);
  e.kind = kind;
  e.wall_ns = wall_ns();
  e.data = std::move(data);
  n->emit(std::move(e));
  return ok();
}

expected<void> subscribe_events(caf::local_actor* self, const std::string& prefix) {
  if (!prefix.empty())
    DXHUB_TRYV(validate_name(prefix, "topic prefix"));
  DXHUB_TRY(n, node::require(self->home_system()));
  caf::anon_send(detail::node_access::event_bus(*n), detail::join_atom::value, prefix,
                 caf::actor_cast<caf::actor>(self));
  return ok();
}

void unsubscribe_events(caf::local_actor* self, const std::string& prefix) {
  if (auto* n = node::of(self->home_system()))
    caf::anon_send(detail::node_access::event_bus(*n), detail::leave_atom::value, prefix,
                   caf::actor_cast<caf::actor>(self));
}

std::string source_name(caf::local_actor* self) {
  auto* n = node::of(self->home_system());
  std::string node_name = n != nullptr ? n->name() : "no-node";
  auto label = n != nullptr ? n->label(self->id()) : std::string{};
  if (label.empty())
    label = std::string{self->name()} + "-" + std::to_string(self->id());
  return node_name + "/" + label;
}

void set_label(caf::local_actor* self, const std::string& label) {
  if (auto* n = node::of(self->home_system())) {
    n->set_label(self->id(), label);
    self->attach_functor([sys = &self->home_system(), id = self->id()] {
      node::with_node(*sys, [id](node& owner) { owner.forget_label(id); });
    });
  }
}

} // namespace dxhub::runtime
