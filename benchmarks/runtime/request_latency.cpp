#include "dxhub/benchmarks/runtime/request_latency.hpp"

#include "dxhub/actors/registry.hpp"
#include "dxhub/benchmarks/runtime/peer_process.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/service.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <zmq.hpp>

#include <cstdio>
#include <thread>
#include <unistd.h>

namespace dxhub::bench::runtime {

namespace {

namespace dxr = dxhub::runtime;
using namespace std::chrono_literals;

constexpr const char* service_name = "bench/echo";

/// The payload of a call: `bytes` characters, sent packed (a typed call) and
/// echoed back.
struct blob {
  static constexpr const char* schema_name = "dxhub.bench.blob";
  static constexpr uint32_t schema_version = 1;
  std::string data;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("data", x.data));
  }
};

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

/// Starts a peer and waits for its "READY" line.
expected<peer_process> start_ready(const std::vector<std::string>& args) {
  DXHUB_TRY(peer, peer_process::start(args));
  auto line = peer.read_line(20s);
  if (!line || line->rfind("READY", 0) != 0)
    return error{errc::peer_down,
                 "peer " + args[0] + " did not start: " + line.value_or("(nothing)")};
  return std::move(peer);
}

dxr::node_options registry_node(const std::string& dir) {
  dxr::node_options opts;
  opts.name = "bench-caller-" + std::to_string(getpid());
  opts.runtime_dir = dir;
  opts.endpoint = "ipc://" + dir + "/registry.node";
  opts.registry = opts.endpoint;
  opts.shared_memory = false;
  return opts;
}

/// Asks the registry until the peer's service is there (it registers asynchronously).
expected<dxr::service> find_service(caf::scoped_actor& self) {
  auto deadline = now_ns() + 20'000'000'000LL;
  std::optional<dxr::service> found;
  std::string last_error = "not asked";
  while (!found && now_ns() < deadline) {
    dxr::lookup(self.ptr(), service_name)
        .receive([&](const dxr::service& s) { found = s; },
                 [&](caf::error& e) {
                   last_error = self->system().render(e);
                   std::this_thread::sleep_for(20ms);
                 });
  }
  if (!found)
    return error{errc::unknown_service,
                 std::string{service_name} + " never appeared in the registry: " + last_error};
  return *found;
}

/// The registry actor of the caller's node, stopped however the measurement ends.
struct registry_guard {
  caf::actor registry;
  ~registry_guard() { caf::anon_send_exit(registry, caf::exit_reason::kill); }
};

// -- the peers ----------------------------------------------------------------------

caf::behavior echo_service(caf::event_based_actor* self) {
  dxr::command_table cmds;
  cmds.on<blob>("echo", [](const blob& b) { return b; });
  if (auto served = dxr::serve(self, service_name, cmds); !served)
    say("ERROR serve: " + served.error().what());
  return {cmds.handler()};
}

int actor_service(const std::string& registry, const std::string& dir) {
  dxr::node_config cfg;
  caf::actor_system sys{cfg};
  dxr::node_options opts;
  opts.name = "bench-service-" + std::to_string(getpid());
  opts.registry = registry;
  opts.runtime_dir = dir;
  opts.shared_memory = false;
  dxr::node node{sys, opts};
  if (node.startup_error()) {
    say("ERROR node: " + node.startup_error()->what());
    return 1;
  }
  sys.spawn(echo_service);
  say("READY " + node.endpoint());
  while (!parent_says_stop(1000ms)) {
  }
  // Nothing left to measure: leave without the actor system's shutdown.
  _exit(0);
}

int zmq_echo(const std::string& endpoint) {
  ::zmq::context_t context{1};
  ::zmq::socket_t router{context, ZMQ_ROUTER};
  router.set(::zmq::sockopt::linger, 0);
  try {
    router.bind(endpoint);
  } catch (const ::zmq::error_t& e) {
    say(std::string{"ERROR bind "} + endpoint + ": " + e.what());
    return 1;
  }
  say("READY " + endpoint);
  std::vector<::zmq::pollitem_t> items{{router.handle(), 0, ZMQ_POLLIN, 0},
                                       {nullptr, STDIN_FILENO, ZMQ_POLLIN, 0}};
  for (;;) {
    ::zmq::poll(items, std::chrono::milliseconds{-1});
    // A closed pipe shows as POLLHUP (ZMQ_POLLERR), not always as POLLIN.
    if ((items[1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) != 0 && parent_says_stop(0ms))
      return 0;
    if ((items[0].revents & ZMQ_POLLIN) == 0)
      continue;
    ::zmq::message_t id;
    ::zmq::message_t body;
    (void)router.recv(id);
    (void)router.recv(body);
    router.send(id, ::zmq::send_flags::sndmore);
    router.send(body, ::zmq::send_flags::none);
  }
}

} // namespace

expected<std::vector<double>> actor_call_round_trips(const call_run& run) {
  dxr::node_config cfg;
  caf::actor_system sys{cfg};
  dxr::node hub{sys, registry_node(run.dir)};
  if (hub.startup_error())
    return *hub.startup_error();
  registry_guard registry{actors::spawn_registry(sys)};
  caf::scoped_actor self{sys};
  DXHUB_TRY(peer, start_ready({"actor-serve", hub.options().registry, run.dir,
                               std::to_string(run.peer_cpu)}));
  (void)peer; // serves until it goes out of scope
  DXHUB_TRY(echo, find_service(self));
  blob args{std::string(run.bytes, 'x')};
  std::vector<double> samples;
  samples.reserve(run.calls);
  for (std::size_t i = 0; i < run.warmup + run.calls; ++i) {
    std::optional<error> failed;
    std::size_t answer_bytes = 0;
    auto start = now_ns();
    dxr::call(self.ptr(), echo, "echo", args)
        .receive(
            [&](const reply& r) {
              // Read as a caller would: the typed result, not its bytes.
              if (auto echoed = dxr::result_of<blob>(r))
                answer_bytes = echoed.value().data.size();
            },
            [&](caf::error& e) {
              failed = error{errc::peer_down, sys.render(e)};
            });
    auto stop = now_ns();
    if (failed)
      return *failed;
    if (answer_bytes < run.bytes)
      return error{errc::bad_encoding, "the echo came back short"};
    if (i >= run.warmup)
      samples.push_back(static_cast<double>(stop - start));
  }
  return samples;
}

expected<std::vector<double>> raw_cppzmq_round_trips(const call_run& run) {
  static int counter = 0;
  auto endpoint = "ipc://" + run.dir + "/raw-echo-" + std::to_string(counter++);
  DXHUB_TRY(peer, start_ready({"zmq-echo", endpoint, std::to_string(run.peer_cpu)}));
  (void)peer; // echoes until it goes out of scope
  ::zmq::context_t context{1};
  ::zmq::socket_t dealer{context, ZMQ_DEALER};
  dealer.set(::zmq::sockopt::linger, 0);
  dealer.set(::zmq::sockopt::rcvtimeo, 10000);
  dealer.connect(endpoint);
  std::string payload(run.bytes, 'x');
  std::vector<double> samples;
  samples.reserve(run.calls);
  for (std::size_t i = 0; i < run.warmup + run.calls; ++i) {
    auto start = now_ns();
    dealer.send(::zmq::buffer(payload), ::zmq::send_flags::none);
    ::zmq::message_t answer;
    auto got = dealer.recv(answer);
    auto stop = now_ns();
    if (!got || answer.size() != run.bytes)
      return error{errc::timeout, "raw echo did not answer"};
    if (i >= run.warmup)
      samples.push_back(static_cast<double>(stop - start));
  }
  return samples;
}

int run_call_peer(const std::string& role, const std::vector<std::string>& args) {
  if (role == "actor-serve" && args.size() == 3) {
    pin_to_cpu(std::stoi(args[2]));
    return actor_service(args[0], args[1]);
  }
  if (role == "zmq-echo" && args.size() == 2) {
    pin_to_cpu(std::stoi(args[1]));
    return zmq_echo(args[0]);
  }
  std::fprintf(stderr, "peer actor-serve REGISTRY DIR CPU | peer zmq-echo ENDPOINT CPU\n");
  return 2;
}

} // namespace dxhub::bench::runtime
