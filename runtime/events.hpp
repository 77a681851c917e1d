#pragma once

#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/json_text.hpp"

#include <caf/fwd.hpp>

#include <string>

namespace dxhub::runtime {

/// Publishes an event on `topic` ("lab/cam0/state") from actor `self`; every
/// actor subscribed to a prefix of the topic, in any process, receives it.
expected<void> emit(caf::local_actor* self, const std::string& topic, const std::string& kind,
                    json_text data = json_text{});

/// Subscribes actor `self` to the events whose topic has the path prefix
/// `prefix` ("lab/cam0" covers "lab/cam0/state"; "" covers everything);
/// they arrive as `dxhub::event` messages until the actor terminates.
expected<void> subscribe_events(caf::local_actor* self, const std::string& prefix);

/// Ends a subscription made with `subscribe_events`.
void unsubscribe_events(caf::local_actor* self, const std::string& prefix);

/// The name under which actor `self` appears as caller or source: its label
/// if one was set, else its CAF name and id, prefixed with the node's name.
std::string source_name(caf::local_actor* self);

/// Sets the label of actor `self` (e.g. "cam0") for `source_name`.
void set_label(caf::local_actor* self, const std::string& label);

} // namespace dxhub::runtime
