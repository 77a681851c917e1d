#include "dxhub/runtime/detail/network_context.hpp"

#include "dxhub/runtime/detail/node_keys.hpp"
#include "dxhub/runtime/detail/node_parts.hpp"
#include "dxhub/schemas/clock.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace dxhub::runtime::detail {

zmq::socket_options network_context::listening(std::string what) const {
  auto options = keys.listening_options();
  // The socket's own thread calls this: the event goes to the event bus as
  // a message, numbered per socket.
  auto sequence = std::make_shared<std::atomic<uint64_t>>(0);
  options.on_reject = [parts = &node, what = std::move(what), sequence](const error& reason) {
    event e;
    e.topic = "dxhub/network/" + parts->name();
    e.source = parts->name() + "/network";
    e.kind = "refused";
    e.sequence = sequence->fetch_add(1);
    e.wall_ns = wall_ns();
    e.data.text = nlohmann::json{{"socket", what},
                                 {"error", std::string{name(reason.code)}},
                                 {"reason", reason.context}}
                      .dump();
    parts->emit(std::move(e));
  };
  return options;
}

} // namespace dxhub::runtime::detail
