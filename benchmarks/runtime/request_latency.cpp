#include "dxhub/benchmarks/runtime/request_latency.hpp"

#include "dxhub/actors/registry.hpp"
#include "dxhub/benchmarks/runtime/peer_process.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/packing.hpp"
#include "dxhub/transports/zmq/blocking_client.hpp"
#include "dxhub/transports/zmq/io_loop.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <zmq.hpp>

#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>
#include <unistd.h>

namespace dxhub::bench::runtime {

namespace {

namespace dxr = dxhub::runtime;
using namespace std::chrono_literals;

constexpr const char* service_name = "bench/echo";
constexpr const char* small_service_name = "bench/small";

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

// `echo` answers with its argument; `size` with the argument's size only (a
// large request gets a small answer).
caf::behavior echo_service(caf::event_based_actor* self, std::string name) {
  dxr::command_table cmds;
  cmds.on<blob>("echo", [](const blob& b) { return b; });
  cmds.on<blob>("size", [](const blob& b) { return blob{std::to_string(b.data.size())}; });
  if (auto served = dxr::serve(self, name, cmds); !served)
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
  sys.spawn(echo_service, std::string{service_name});
  // A second service for the small calls measured while `service_name`
  // works on a large request (an actor serves one request at a time).
  sys.spawn(echo_service, std::string{small_service_name});
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

namespace {

/// The actor side: this process's node hosts the registry; the service runs
/// in a peer process. Built once, then asked for one round trip at a time.
class actor_rig {
public:
  explicit actor_rig(const call_run& run)
    : hub_{sys_, registry_node(run.dir)}, registry_{actors::spawn_registry(sys_)}, self_{sys_},
      args_{std::string(run.bytes, 'x')}, bytes_{run.bytes} {}

  expected<void> start(const call_run& run) {
    if (hub_.startup_error())
      return *hub_.startup_error();
    DXHUB_TRY(peer, start_ready({"actor-serve", hub_.options().registry, run.dir,
                                 std::to_string(run.peer_cpu)}));
    peer_.emplace(std::move(peer));
    DXHUB_TRY(echo, find_service(self_));
    echo_ = echo;
    return ok();
  }

  expected<double> round_trip() {
    std::optional<error> failed;
    std::size_t answer_bytes = 0;
    auto start = now_ns();
    dxr::call(self_.ptr(), *echo_, "echo", args_)
        .receive(
            [&](const reply& r) {
              // Read as a caller would: the typed result, not its bytes.
              if (auto echoed = dxr::result_of<blob>(r))
                answer_bytes = echoed.value().data.size();
            },
            [&](caf::error& e) {
              failed = error{errc::peer_down, sys_.render(e)};
            });
    auto stop = now_ns();
    if (failed)
      return *failed;
    if (answer_bytes < bytes_)
      return error{errc::bad_encoding, "the echo came back short"};
    return static_cast<double>(stop - start);
  }

private:
  dxr::node_config cfg_;
  caf::actor_system sys_{cfg_};
  dxr::node hub_;
  registry_guard registry_;
  caf::scoped_actor self_;
  std::optional<peer_process> peer_; // serves until it goes out of scope
  std::optional<dxr::service> echo_;
  blob args_;
  std::size_t bytes_;
};

/// The baseline: a DEALER in this process, a ROUTER echo in a peer process.
class raw_rig {
public:
  explicit raw_rig(const call_run& run) : payload_(run.bytes, 'x') {}

  expected<void> start(const call_run& run) {
    static int counter = 0;
    auto endpoint = "ipc://" + run.dir + "/raw-echo-" + std::to_string(counter++);
    DXHUB_TRY(peer, start_ready({"zmq-echo", endpoint, std::to_string(run.peer_cpu)}));
    peer_.emplace(std::move(peer));
    dealer_.set(::zmq::sockopt::linger, 0);
    dealer_.set(::zmq::sockopt::rcvtimeo, 10000);
    dealer_.connect(endpoint);
    return ok();
  }

  expected<double> round_trip() {
    auto start = now_ns();
    dealer_.send(::zmq::buffer(payload_), ::zmq::send_flags::none);
    ::zmq::message_t answer;
    auto got = dealer_.recv(answer);
    auto stop = now_ns();
    if (!got || answer.size() != payload_.size())
      return error{errc::timeout, "raw echo did not answer"};
    return static_cast<double>(stop - start);
  }

private:
  std::string payload_;
  std::optional<peer_process> peer_; // echoes until it goes out of scope
  ::zmq::context_t context_{1};
  ::zmq::socket_t dealer_{context_, ZMQ_DEALER};
};

/// Runs `count` round trips of `rig`, keeping those after `skip`.
template <class Rig>
expected<void> measure(Rig& rig, std::size_t count, std::size_t skip,
                       std::vector<double>& samples) {
  for (std::size_t i = 0; i < count; ++i) {
    DXHUB_TRY(ns, rig.round_trip());
    if (i >= skip)
      samples.push_back(ns);
  }
  return ok();
}

} // namespace

expected<call_samples> call_round_trips(const call_run& run) {
  raw_rig raw{run};
  DXHUB_TRYV(raw.start(run));
  actor_rig actor{run};
  DXHUB_TRYV(actor.start(run));
  call_samples result;
  result.raw.reserve(run.calls);
  result.actor.reserve(run.calls);
  DXHUB_TRYV(measure(raw, run.warmup, run.warmup, result.raw));
  DXHUB_TRYV(measure(actor, run.warmup, run.warmup, result.actor));
  // Blocks taken in turns: a change of the machine's load during the run
  // (other tenants, frequency) falls on both, not on whichever ran then.
  while (result.actor.size() < run.calls) {
    auto block = std::min(run.block, run.calls - result.actor.size());
    DXHUB_TRYV(measure(raw, block, 0, result.raw));
    DXHUB_TRYV(measure(actor, block, 0, result.actor));
  }
  return result;
}

namespace {

/// A command to the peer's service `service`, its arguments packed.
command bench_command(uint64_t id, const char* service, const char* name, const blob& args) {
  command c;
  c.id = id;
  c.caller = "bench-" + std::to_string(getpid());
  c.service = service;
  c.name = name;
  c.packed_args = pack(args);
  c.timeout_ms = 120000;
  return c;
}

/// One client of the peer node's command endpoint.
class envelope_caller {
public:
  static expected<envelope_caller> connect(zmq::io_loop& loop, const std::string& endpoint) {
    DXHUB_TRY(c, zmq::blocking_client::connect(loop, endpoint));
    return envelope_caller{std::move(c)};
  }

  /// Sends `payload` (an encoded command) and waits for a successful reply;
  /// returns the round trip in ns.
  expected<double> round_trip(const std::string& payload, std::chrono::milliseconds timeout) {
    auto header = zmq::header_for<command>(zmq::message_kind::request, zmq::encoding::binary);
    ::zmq::message_t message{payload.data(), payload.size()};
    auto start = now_ns();
    DXHUB_TRY(answer, client_->request(header, std::move(message), timeout));
    auto stop = now_ns();
    DXHUB_TRY(r, zmq::decode_payload<reply>(answer));
    if (r.code != errc::none)
      return error{r.code, "the peer answered: " + r.error_context};
    return static_cast<double>(stop - start);
  }

private:
  explicit envelope_caller(std::unique_ptr<zmq::blocking_client> c) : client_(std::move(c)) {}
  std::unique_ptr<zmq::blocking_client> client_;
};

expected<std::string> encoded(const command& c) {
  DXHUB_TRY(payload, zmq::encode_payload(c, zmq::encoding::binary));
  return std::string{static_cast<const char*>(payload.data()), payload.size()};
}

} // namespace

expected<large_samples> calls_during_large_requests(const large_run& run) {
  // The registry lives in this process (the peer node registers with it);
  // the clients talk to the peer node's command endpoint directly.
  dxr::node_config cfg;
  caf::actor_system sys{cfg};
  dxr::node hub{sys, registry_node(run.dir)};
  if (hub.startup_error())
    return *hub.startup_error();
  registry_guard registry{actors::spawn_registry(sys)};
  DXHUB_TRY(peer, peer_process::start({"actor-serve", hub.options().registry, run.dir,
                                       std::to_string(run.peer_cpu)}));
  auto line = peer.read_line(20s);
  if (!line || line->rfind("READY ", 0) != 0)
    return error{errc::peer_down, "peer actor-serve did not start: " + line.value_or("(nothing)")};
  auto endpoint = line->substr(6);

  // Two contexts: the clients share no libzmq I/O thread on this side.
  zmq::io_loop small_loop;
  zmq::io_loop big_loop;
  DXHUB_TRY(small, envelope_caller::connect(small_loop, endpoint));
  DXHUB_TRY(big, envelope_caller::connect(big_loop, endpoint));
  DXHUB_TRY(small_request, encoded(bench_command(1, small_service_name, "echo",
                                                 blob{std::string(run.small_bytes, 'x')})));
  DXHUB_TRY(large_request, encoded(bench_command(2, service_name, "size",
                                                 blob{std::string(run.large_bytes, 'x')})));
  // The services register with the peer's node after its READY line: the
  // first calls may find them missing (a bounded wait, then the error).
  auto ready = [&](envelope_caller& c, const std::string& payload) -> expected<void> {
    expected<double> last = error{errc::unknown_service, "not asked"};
    for (int i = 0; i < 200 && !last; ++i) {
      last = c.round_trip(payload, 10s);
      if (!last)
        std::this_thread::sleep_for(50ms);
    }
    if (!last)
      return last.error();
    return ok();
  };
  DXHUB_TRYV(ready(small, small_request));
  DXHUB_TRYV(ready(big, large_request));

  large_samples out;
  for (std::size_t i = 0; i < run.warmup; ++i)
    DXHUB_TRYV(small.round_trip(small_request, 10s));
  for (std::size_t i = 0; i < run.calls; ++i) {
    DXHUB_TRY(ns, small.round_trip(small_request, 10s));
    out.idle.push_back(ns);
  }

  // The large requests on a thread of their own, one after the other; a
  // small round trip counts when it began after a large request was sent and
  // ended before its answer came.
  std::atomic<int64_t> large_since{0}; // send time of the large request in flight, 0: none
  std::atomic<bool> large_done{false};
  std::optional<error> large_failed;
  std::thread sender{[&] {
    for (std::size_t i = 0; i < run.large && !large_failed; ++i) {
      large_since.store(now_ns());
      auto ns = big.round_trip(large_request, 120s);
      large_since.store(0);
      if (!ns)
        large_failed = ns.error();
      else
        out.large.push_back(ns.value());
    }
    large_done.store(true);
  }};
  std::optional<error> small_failed;
  while (!large_done.load()) {
    auto since = large_since.load();
    auto started = now_ns();
    auto ns = small.round_trip(small_request, 10s);
    if (!ns) {
      small_failed = ns.error();
      break;
    }
    auto current = large_since.load();
    if (since != 0 && current == since && started >= since)
      out.during.push_back(ns.value());
  }
  sender.join();
  if (large_failed)
    return *large_failed;
  if (small_failed)
    return *small_failed;
  return out;
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
