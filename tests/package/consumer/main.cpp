// An outside project's program, built against the installed headers and
// libraries only: a node of its own (no registry), a channel published and
// subscribed in the process, a service served and called. Exits 0 when every
// answer is the expected one, 1 with the reason on stderr otherwise; every
// wait is bounded, so a runtime that never answers fails rather than hangs.
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <dxhub/runtime/channel.hpp>
#include <dxhub/runtime/channel_status.hpp>
#include <dxhub/runtime/frame.hpp>
#include <dxhub/runtime/node.hpp>
#include <dxhub/runtime/node_config.hpp>
#include <dxhub/runtime/service.hpp>
#include <dxhub/schemas/caf_types.hpp>
#include <dxhub/schemas/command.hpp>
#include <dxhub/schemas/describe.hpp>
#include <dxhub/schemas/json.hpp>
#include <dxhub/schemas/schema_of.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>

namespace {

using namespace dxhub;
using namespace dxhub::runtime;

// Generous: a slow or sanitized build still answers well within it.
constexpr std::chrono::seconds must_arrive{10};

struct exposure {
  static constexpr const char* schema_name = "consumer.exposure";
  static constexpr uint32_t schema_version = 1;
  double ms = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("ms", x.ms));
  }
};

frame_schema counter_schema() {
  frame_schema s;
  s.name = "consumer.counter";
  s.version = 1;
  s.fields = {field{"count", dtype::u32, shape{4}}};
  return s;
}

// A camera service: set_exposure keeps a positive exposure, get_exposure says it.
caf::behavior camera(caf::event_based_actor* self) {
  auto current = std::make_shared<double>(10.0);
  command_table cmds;
  cmds.on<exposure>("set_exposure", [=](const exposure& e) -> expected<exposure> {
    if (e.ms <= 0)
      return error{errc::invalid_argument, "exposure must be positive"};
    *current = e.ms;
    return e;
  });
  cmds.on("get_exposure", [=] { return exposure{*current}; });
  if (auto served = serve(self, "consumer/cam0", cmds); !served)
    self->quit(make_error(served.error().code, served.error().context));
  return {cmds.handler()};
}

// Subscribes to `channel` and hands every frame and status to `sink`.
caf::behavior watcher(caf::event_based_actor* self, caf::actor sink, std::string channel) {
  if (auto sub = subscribe(self, channel); !sub)
    self->send(sink, sub.error().context);
  return {
      [=](const frame& f) { self->send(sink, f); },
      [=](const channel_status& s) { self->send(sink, s); },
  };
}

int fail(const std::string& why) {
  std::cerr << "consumer: " << why << "\n";
  return 1;
}

int run(caf::actor_system& sys, node& n) {
  caf::scoped_actor self{sys};
  bool ok = true;
  std::string why;
  auto failed = [&](std::string reason) {
    ok = false;
    why = std::move(reason);
  };

  // A channel inside the process: published, subscribed, a frame arrives intact.
  auto channel = std::string{"consumer/counter"};
  auto sub = sys.spawn(watcher, caf::actor{self}, channel);
  auto pub = publish(n, channel, counter_schema());
  if (!pub)
    return fail("publish: " + pub.error().context);
  self->receive([&](const channel_status&) {},
                [&](const std::string& e) { failed("subscribe: " + e); },
                caf::after(must_arrive) >> [&] { failed("no channel status"); });
  if (!ok)
    return fail(why);
  auto loan = pub.value().loan();
  if (!loan)
    return fail("loan: " + loan.error().context);
  auto counts = loan.value().field<uint32_t>("count");
  if (!counts)
    return fail("field: " + counts.error().context);
  for (uint32_t i = 0; i < 4; ++i)
    counts.value().values[i] = 40 + i;
  if (auto sent = pub.value().publish(std::move(loan.value())); !sent)
    return fail("publish a frame: " + sent.error().context);
  self->receive(
      [&](const frame& f) {
        auto got = f.field<uint32_t>("count");
        if (!got || got.value().values.size() != 4 || got.value().values[3] != 43)
          failed("the frame arrived changed");
      },
      caf::after(must_arrive) >> [&] { failed("no frame arrived"); });
  caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  if (!ok)
    return fail(why);

  // A service: found by name, called with typed arguments, answered.
  auto cam = sys.spawn(camera);
  service svc;
  // Bounded poll: until the registry has the service, at most must_arrive
  // (each lookup is itself a request with a timeout).
  for (auto deadline = std::chrono::steady_clock::now() + must_arrive;
       !svc.handle && std::chrono::steady_clock::now() < deadline;) {
    lookup(self.ptr(), "consumer/cam0")
        .receive([&](const service& s) { svc = s; },
                 [&](caf::error&) {
                   // bounded poll: until the registry has the service
                   std::this_thread::sleep_for(std::chrono::milliseconds{5});
                 });
  }
  if (!svc.handle) {
    caf::anon_send_exit(cam, caf::exit_reason::kill);
    return fail("service consumer/cam0 never appeared");
  }
  call(self.ptr(), svc, "set_exposure", exposure{25.5})
      .receive(
          [&](const reply& r) {
            auto e = result_of<exposure>(r);
            if (!e || e.value().ms != 25.5)
              failed("set_exposure answered " + (e ? encode_json(e.value()) : e.error().context));
          },
          [&](caf::error& e) { failed("set_exposure: " + sys.render(e)); });
  call(self.ptr(), svc, "get_exposure")
      .receive(
          [&](const reply& r) {
            auto e = result_of<exposure>(r);
            if (!e || e.value().ms != 25.5)
              failed("get_exposure answered " + (e ? encode_json(e.value()) : e.error().context));
          },
          [&](caf::error& e) { failed("get_exposure: " + sys.render(e)); });
  // An error is a value, named by the service.
  call(self.ptr(), svc, "set_exposure", exposure{-1})
      .receive(
          [&](const reply& r) {
            if (r.code != errc::invalid_argument)
              failed("a negative exposure was not refused");
          },
          [&](caf::error&) {});
  caf::anon_send_exit(cam, caf::exit_reason::user_shutdown);
  if (!ok)
    return fail(why);

  // The schemas layer on its own: a command as JSON and back.
  command cmd;
  cmd.id = 1;
  cmd.service = "lab/cam0";
  cmd.name = "get_state";
  auto back = decode_json<command>(encode_json(cmd));
  if (!back || !(back.value() == cmd))
    return fail("a command did not decode to itself");
  std::cout << "consumer: channel, service and schemas work (" << to_string(schema_of<command>())
            << ")\n";
  return 0;
}

} // namespace

int main() {
  node_config cfg;
  caf::actor_system sys{cfg};
  node_options opts;
  opts.name = "consumer";
  opts.networked = false; // one process, no registry: nothing to clean up
  opts.shared_memory = false;
  node n{sys, opts};
  return run(sys, n);
}
