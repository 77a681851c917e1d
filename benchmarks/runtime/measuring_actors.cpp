#include "dxhub/benchmarks/runtime/measuring_actors.hpp"

#include "dxhub/benchmarks/runtime/bench_channel.hpp"
#include "dxhub/benchmarks/runtime/peer_process.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/transports/shm/inspect.hpp"

#include <caf/actor_system.hpp>

#include <unistd.h>

namespace dxhub::bench::runtime {

namespace dxr = dxhub::runtime;
using namespace std::chrono_literals;

void outcome::finish(std::string why) {
  if (finished)
    return;
  finished = true;
  done.set_value(std::move(why));
}

caf::behavior measuring_subscriber(caf::event_based_actor* self, std::string channel,
                                   dxr::subscription_options options,
                                   std::function<void(const dxr::frame&)> take,
                                   std::shared_ptr<outcome> out) {
  if (auto sub = dxr::subscribe(self, channel, options); !sub)
    out->finish("subscribe: " + sub.error().what());
  return {
      [=](const dxr::frame& f) {
        if (f.transport() != dxr::transport::shm)
          out->finish("frames came through " + dxr::to_string(f.transport()) + ", not shm");
        take(f);
      },
      [=](const dxr::channel_status& s) {
        if (s.what == dxr::channel_status::state::refused)
          out->finish("subscription refused: " + s.detail);
      },
  };
}

namespace {

/// The publishing loop once a reader is there: "DONE ..." or "ERROR ...".
std::string publish_when_read(dxr::publisher& pub, const std::string& channel,
                              const std::function<expected<std::string>(dxr::publisher&)>& loop) {
  if (pub.transport() != dxr::transport::shm)
    return "ERROR the runtime publishes through " + dxr::to_string(pub.transport()) + ", not shm";
  auto attached = [&] {
    auto info = shm::inspect(channel);
    return info && !info.value().subscribers.empty();
  };
  if (!wait_for_reader(attached))
    return "ERROR no subscriber attached within 10 s";
  auto done = loop(pub);
  if (!done)
    return "ERROR " + done.error().what();
  return done.value().empty() ? "DONE" : "DONE " + done.value();
}

} // namespace

void run_publishing_peer(const std::string& channel, std::size_t bytes,
                         std::function<expected<std::string>(dxr::publisher&)> loop) {
  dxr::node_config cfg;
  caf::actor_system sys{cfg};
  dxr::node_options opts;
  opts.name = "bench-publisher-" + std::to_string(getpid());
  opts.networked = false;
  dxr::node node{sys, opts};
  auto line = std::make_shared<std::promise<std::string>>();
  auto said = line->get_future();
  sys.spawn<caf::detached>([=](caf::event_based_actor* self) -> caf::behavior {
    auto pub = dxr::publish(self, channel, schema_for(bytes));
    if (!pub) {
      line->set_value("ERROR publish: " + pub.error().what());
    } else {
      line->set_value(publish_when_read(pub.value(), channel, loop));
      // Keep the channel open until the parent has every frame.
      while (!parent_says_stop(1000ms)) {
      }
    }
    self->quit();
    return {};
  });
  auto text = said.get();
  say(text);
  while (!parent_says_stop(1000ms)) {
  }
  // Leave without shutting the actor system down: nothing is left to
  // measure, and the parent removes the segment.
  _exit(text.rfind("DONE", 0) == 0 ? 0 : 1);
}

} // namespace dxhub::bench::runtime
