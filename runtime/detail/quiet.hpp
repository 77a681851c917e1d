#pragma once

#include <caf/message.hpp>
#include <caf/result.hpp>
#include <caf/scheduled_actor.hpp>

namespace dxhub::runtime::detail {

/// Makes a runtime actor drop messages it does not understand instead of
/// answering with an error - which in CAF 0.17 kills a sender that does not
/// handle errors - and ignore errors answered to its own sends.
inline void ignore_unexpected(caf::scheduled_actor* self) {
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
        return caf::message{};
      });
  self->set_error_handler([](caf::scheduled_actor*, caf::error&) {});
}

} // namespace dxhub::runtime::detail
