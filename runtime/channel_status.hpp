#pragma once

#include "dxhub/runtime/transport.hpp"
#include "dxhub/schemas/error.hpp"

#include <cstdint>
#include <string>

namespace dxhub::runtime {

/// A change in a subscribed channel, sent to the subscriber's mailbox.
struct channel_status {
  enum class state : uint8_t {
    attached,       ///< Frames flow (first time, or again after a restart).
    publisher_gone, ///< The publisher died or left; frames held stay valid.
    refused,        ///< The subscription was refused (e.g. schema mismatch).
  };

  std::string channel;
  channel_status::state what = state::attached;
  runtime::transport via = transport::automatic;
  /// The publisher session (attached), or 0.
  uint64_t session = 0;
  /// What went wrong (refused), or the reason a publisher is gone.
  errc code = errc::none;
  std::string detail;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, channel_status& x) {
    return f(x.channel, x.what, x.via, x.session, x.code, x.detail);
  }
};

std::string to_string(channel_status::state s);

} // namespace dxhub::runtime
