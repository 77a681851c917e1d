#include "dxhub/runtime/detail/publisher_links.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/network.hpp"

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace dxhub::runtime::detail {

publisher_links::publisher_links(caf::actor_addr directory, const std::shared_ptr<network>& net)
  : directory_(std::move(directory)), net_(net), watched_(net ? net->frames().watched() : nullptr) {
}

void publisher_links::send_to_other_hosts(const std::string& channel, const frame_schema& schema,
                                          const frame_header& h,
                                          std::span<const std::byte> payload) const {
  if (!watched_ || watched_->load(std::memory_order_acquire) == 0)
    return;
  if (auto net = net_.lock())
    net->frames().publish(channel, schema.id(), h, payload);
}

void publisher_links::closed(const std::string& channel) const {
  if (auto directory = caf::actor_cast<caf::actor>(directory_))
    caf::anon_send(directory, unchannel_atom::value, channel);
}

} // namespace dxhub::runtime::detail
