#define CAF_SUITE actors.supervisor
#include "dxhub/actors/supervisor.hpp"

#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/tests/actors/supervision.hpp"
#include "dxhub/tests/support/caf_test.hpp"

using namespace dxhub;
using namespace dxhub::test;
using namespace std::chrono_literals;
using actors::restart_strategy;
using launch::restart_kind;
using strings = std::vector<std::string>;

namespace {

void crash(const caf::actor& child) {
  caf::anon_send(child, crash_atom::value);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(supervisor_tests, supervision_fixture)

CAF_TEST(children start in order and stop in reverse order) {
  auto sup =
      supervise(options(restart_strategy::one_for_one), {child("a"), child("b"), child("c")});
  CAF_CHECK_EQUAL(show(events), show(strings{"start a", "start b", "start c"}));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched.run();
  CAF_CHECK_EQUAL(show(since(3)), show(strings{"stop c", "stop b", "stop a"}));
  CAF_CHECK_EQUAL(show(*ended), show(strings{"c", "b", "a"}));
}

CAF_TEST(one_for_one restarts only the failed child with fresh state) {
  supervise(options(restart_strategy::one_for_one), {child("a"), child("b"), child("c")});
  auto a = of("a"), b = of("b"), c = of("c");
  caf::anon_send(b, caf::add_atom::value, 5);
  sched.run();
  auto mark = events.size();
  crash(b);
  sched.run();
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit b", "restart b"}));
  CAF_CHECK_EQUAL(show(*ended), show(strings{"b"}));
  CAF_CHECK(of("a") == a);
  CAF_CHECK(of("c") == c);
  CAF_REQUIRE(of("b") != b);
  // Fresh state: the new instance counts from zero.
  self->send(of("b"), caf::add_atom::value, 1);
  sched.run();
  self->receive([](int total) { CAF_CHECK_EQUAL(total, 1); });
}

CAF_TEST(one_for_all stops the others newest first then restarts all in order) {
  supervise(options(restart_strategy::one_for_all), {child("a"), child("b"), child("c")});
  auto mark = events.size();
  crash(of("b"));
  sched.run();
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit b", "stop c", "stop a", "restart a",
                                                  "restart b", "restart c"}));
  CAF_CHECK_EQUAL(show(*ended), show(strings{"b", "c", "a"}));
}

CAF_TEST(rest_for_one restarts the failed child and those started after it) {
  supervise(options(restart_strategy::rest_for_one),
            {child("a"), child("b"), child("c"), child("d")});
  auto a = of("a");
  auto mark = events.size();
  crash(of("b"));
  sched.run();
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit b", "stop d", "stop c", "restart b",
                                                  "restart c", "restart d"}));
  CAF_CHECK_EQUAL(show(*ended), show(strings{"b", "d", "c"}));
  CAF_CHECK(of("a") == a);
}

CAF_TEST(restarts wait until stopped children are down and kill those that do not stop) {
  auto opts = options(restart_strategy::one_for_all);
  opts.shutdown_timeout = 500ms;
  supervise(opts, {child("a"), stubborn_child("b")});
  auto b = of("b");
  auto mark = events.size();
  crash(of("a"));
  sched.run();
  // b ignores the request to stop: nothing starts while it may still run.
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "stop b"}));
  pass(499ms);
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "stop b"}));
  pass(1ms);
  CAF_CHECK_EQUAL(show(since(mark)),
                  show(strings{"exit a", "stop b", "kill b", "restart a", "restart b"}));
  CAF_CHECK(of("b") != b);
  CAF_CHECK_EQUAL(show(*ended), show(strings{"a", "b"}));
}

CAF_TEST(transient children stay down after a normal exit and temporary ones always) {
  supervise(options(restart_strategy::one_for_one),
            {child("t", restart_kind::transient), child("tmp", restart_kind::temporary),
             child("p", restart_kind::permanent)});
  auto mark = events.size();
  caf::anon_send(of("t"), finish_atom::value);
  caf::anon_send(of("tmp"), crash_atom::value);
  caf::anon_send(of("p"), finish_atom::value);
  sched.run();
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit t", "exit tmp", "exit p", "restart p"}));
  mark = events.size();
  // A transient child that crashes is restarted.
  supervise(options(restart_strategy::one_for_one, "sup2"), {child("t2", restart_kind::transient)});
  crash(of("t2"));
  sched.run();
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"start t2", "exit t2", "restart t2"}));
}

CAF_TEST(backoff delays each restart and grows with repeated failures) {
  auto opts = options(restart_strategy::one_for_one);
  opts.limits.backoff_base = 100ms;
  opts.limits.backoff_max = 1000ms;
  supervise(opts, {child("a")});
  auto mark = events.size();
  crash(of("a"));
  sched.run();
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "backoff"}));
  pass(99ms);
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "backoff"}));
  pass(1ms);
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "backoff", "restart a"}));
  // The second failure in the window waits twice as long.
  mark = events.size();
  crash(of("a"));
  sched.run();
  CAF_CHECK(nlohmann::json::parse(raw_events.back().data.text)["wait_ms"] == 200);
  pass(199ms);
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "backoff"}));
  pass(1ms);
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "backoff", "restart a"}));
}

CAF_TEST(failures spread beyond the intensity window do not escalate) {
  auto opts = options(restart_strategy::one_for_one);
  opts.limits.max_restarts = 2;
  opts.limits.within = 1000ms;
  supervise(opts, {child("a")});
  for (int i = 0; i < 5; ++i) {
    crash(of("a"));
    sched.run();
    pass(600ms);
  }
  CAF_CHECK_EQUAL(std::count(events.begin(), events.end(), "restart a"), 5);
  CAF_CHECK_EQUAL(std::count(events.begin(), events.end(), "escalate a"), 0);
}

CAF_TEST(exceeding the intensity stops all children and exits with restart_limit) {
  auto opts = options(restart_strategy::one_for_one);
  opts.limits.max_restarts = 2;
  opts.limits.within = 1000ms;
  auto sup = supervise(opts, {child("a"), child("b")});
  caf::error exit_reason;
  caf::actor_cast<caf::abstract_actor*>(sup)->attach_functor(
      [&](const caf::error& reason) { exit_reason = reason; });
  auto mark = events.size();
  for (int i = 0; i < 3; ++i) {
    crash(of("a"));
    sched.run();
  }
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "restart a", "exit a", "restart a",
                                                  "exit a", "escalate a", "stop b"}));
  CAF_CHECK(from_caf_error(exit_reason) == errc::restart_limit);
  CAF_CHECK_EQUAL(ended->back(), "b");
}

CAF_TEST(an escalating supervisor is restarted by its own supervisor) {
  auto inner_opts = options(restart_strategy::one_for_one, "inner");
  inner_opts.limits.max_restarts = 1;
  auto outer = supervise(options(restart_strategy::one_for_one, "outer"),
                         {actors::supervisor_child(inner_opts, {child("a")})});
  auto mark = events.size();
  crash(of("a"));
  sched.run();
  crash(of("a"));
  sched.run();
  CAF_CHECK_EQUAL(show(since(mark)), show(strings{"exit a", "restart a", "exit a", "escalate a",
                                                  "exit inner", "restart inner", "start a"}));
  // The outer supervisor names the reason: the inner one's restart limit.
  auto exit_inner =
      std::find(events.begin() + static_cast<std::ptrdiff_t>(mark), events.end(), "exit inner");
  auto data = nlohmann::json::parse(raw_events[exit_inner - events.begin()].data.text);
  CAF_CHECK(data["reason"].get<std::string>().find("restart intensity exceeded")
            != std::string::npos);
  // The restarted inner supervisor runs a fresh child.
  self->send(of("a"), caf::add_atom::value, 3);
  sched.run();
  self->receive([](int total) { CAF_CHECK_EQUAL(total, 3); });
  static_cast<void>(outer);
}

CAF_TEST(the supervisor answers with the current handle of a child) {
  auto sup = supervise(options(restart_strategy::one_for_one), {child("a")});
  self->send(sup, caf::get_atom::value, std::string{"a"});
  sched.run();
  self->receive([&](const caf::actor& a) { CAF_CHECK(a == of("a")); });
}

CAF_TEST_FIXTURE_SCOPE_END()
