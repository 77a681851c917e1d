#define CAF_SUITE runtime.service
#include "dxhub/runtime/service.hpp"

#include "dxhub/runtime/detail/audit_trail.hpp"
#include "dxhub/runtime/detail/command_audit.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/wait.hpp"

#include <caf/event_based_actor.hpp>

#include <thread>

using namespace dxhub;
using namespace dxhub::runtime;
using dxhub::test::must_arrive;

namespace {

struct exposure {
  static constexpr const char* schema_name = "test.exposure";
  static constexpr uint32_t schema_version = 1;
  double ms = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("ms", x.ms));
  }
};

struct gain {
  static constexpr const char* schema_name = "test.gain";
  static constexpr uint32_t schema_version = 1;
  int db = 0;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("db", x.db));
  }
};

/// A bulk argument (over the audit trail's limit when packed).
struct lookup_table {
  static constexpr const char* schema_name = "test.lookup_table";
  static constexpr uint32_t schema_version = 1;
  std::vector<double> values;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("values", x.values));
  }
};

/// A camera service: set_exposure (typed), get_exposure, and `hang`, which
/// never answers and makes the actor quit after a moment (a crash mid-request).
caf::behavior camera(caf::event_based_actor* self, std::string name) {
  auto current = std::make_shared<double>(10.0);
  command_table cmds;
  cmds.on<exposure>("set_exposure", [=](const exposure& e) -> expected<exposure> {
    if (e.ms <= 0)
      return error{errc::invalid_argument, "exposure must be positive"};
    *current = e.ms;
    return e;
  });
  cmds.on("get_exposure", [=] { return exposure{*current}; });
  cmds.on_command("echo_json", [](const command& c) { return parse_json(c.args.text); });
  auto served = serve(self, name, cmds);
  if (!served)
    self->quit(make_error(served.error().code, served.error().context));
  auto table = cmds.handler();
  return {
      [=](const command& c) -> caf::result<reply> {
        if (c.name == "crash") {
          self->quit(caf::exit_reason::kill);
          return caf::delegated<reply>{};
        }
        return table(c);
      },
  };
}

/// Where a stage is told to go; its speed may be left out.
struct target {
  static constexpr const char* schema_name = "test.target";
  static constexpr uint32_t schema_version = 1;
  double pos_mm = 0;
  double speed_mm_s = 5;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("pos_mm", x.pos_mm), defaulted("speed_mm_s", x.speed_mm_s));
  }
};

using arrive_atom = caf::atom_constant<caf::atom("arrive")>;

struct stage_state {
  double position = 0;
  deferred_reply arrival;
};

/// A motor stage: `move_to` answers when the stage arrives (a delayed
/// message stands for the motion); `jam` never arrives.
caf::behavior stage(caf::stateful_actor<stage_state>* self, std::string name) {
  command_table cmds;
  cmds.on_deferred<target>("move_to", [=](const target& t, deferred_reply done) {
    if (t.pos_mm < 0) {
      done.fail({errc::invalid_argument, "position below the limit switch"});
      return;
    }
    self->state.arrival = std::move(done);
    self->delayed_send(self, std::chrono::milliseconds{150}, arrive_atom::value, t.pos_mm);
  });
  cmds.on_deferred("jam", [=](deferred_reply done) { self->state.arrival = std::move(done); });
  cmds.on("get_position", [=] { return target{self->state.position, 0}; });
  if (auto served = serve(self, name, cmds); !served)
    self->quit(make_error(served.error().code, served.error().context));
  return {
      cmds.handler(),
      [=](arrive_atom, double pos) {
        self->state.position = pos;
        self->state.arrival.deliver(target{pos, 0});
      },
  };
}

/// Looks `name` up from the scoped actor until it appears (a service
/// registers when its actor starts, which is asynchronous to `spawn`).
service find(caf::scoped_actor& self, const std::string& name) {
  service found;
  auto known = [&] {
    lookup(self.ptr(), name).receive([&](const service& s) { found = s; }, [](caf::error&) {});
    return static_cast<bool>(found.handle);
  };
  if (!dxhub::test::wait_until(known, must_arrive, std::chrono::milliseconds{5}))
    CAF_FAIL("service '" << name << "' never appeared");
  return found;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(service_tests, dxhub::test::node_fixture)

CAF_TEST(typed_commands_get_typed_results) {
  auto cam = spawn(camera, "test/cam0");
  auto svc = find(self, "test/cam0");
  CAF_CHECK(svc.handle == cam);
  call(self.ptr(), svc, "set_exposure", exposure{25.5})
      .receive(
          [&](const reply& r) {
            // A typed call travels packed both ways, with no JSON at all.
            CAF_CHECK(r.packed_result.schema == schema_of<exposure>());
            CAF_CHECK_EQUAL(r.result.text, "null");
            auto e = result_of<exposure>(r);
            CAF_REQUIRE(e);
            CAF_CHECK(e.value().ms == 25.5);
            CAF_CHECK(result_of<nlohmann::json>(r).value() == nlohmann::json{{"ms", 25.5}});
          },
          [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  call(self.ptr(), svc, "get_exposure")
      .receive([&](const reply& r) { CAF_CHECK(result_of<exposure>(r).value().ms == 25.5); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  self->send_exit(cam, caf::exit_reason::user_shutdown);
}

CAF_TEST(errors_of_the_service_come_back_as_values) {
  auto cam = spawn(camera, "test/cam1");
  auto svc = find(self, "test/cam1");
  auto expect_error = [&](auto&& request, errc want, std::vector<std::string> mentions) {
    request.receive(
        [&](const reply& r) {
          CAF_CHECK(r.code == want);
          CAF_MESSAGE(r.error_context);
          for (auto& m : mentions)
            CAF_CHECK(r.error_context.find(m) != std::string::npos);
        },
        [&](caf::error& e) {
          auto err = from_caf_error(e);
          CAF_CHECK(err.code == want);
          CAF_MESSAGE(err.context);
          for (auto& m : mentions)
            CAF_CHECK(err.context.find(m) != std::string::npos);
        });
  };
  expect_error(call(self.ptr(), svc, "set_exposure", exposure{-1}), errc::invalid_argument,
               {"positive"});
  expect_error(call(self.ptr(), svc, "focus"), errc::unknown_command, {"focus"});
  expect_error(call(self.ptr(), svc, "set_exposure", gain{3}), errc::schema_mismatch,
               {"test.gain", "test.exposure"});
  expect_error(call_json(self.ptr(), svc, "set_exposure", json_text{R"({"ms": "fast"})"}),
               errc::invalid_argument, {"argument 'ms' must be a number", "fast"});
  self->send_exit(cam, caf::exit_reason::user_shutdown);
}

CAF_TEST(untyped_json_calls_work_like_the_shell) {
  auto cam = spawn(camera, "test/cam2");
  auto svc = find(self, "test/cam2");
  call_json(self.ptr(), svc, "set_exposure", json_text{R"({"ms": 4})"})
      .receive(
          [&](const reply& r) {
            CAF_CHECK(r.packed_result.empty());
            CAF_CHECK_EQUAL(r.result.text, R"({"ms":4.0})");
            CAF_CHECK(result_of<exposure>(r).value().ms == 4.0);
          },
          [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  // An untyped handler is shown a typed caller's packed arguments as JSON.
  call(self.ptr(), svc, "echo_json", exposure{6.5})
      .receive([&](const reply& r) { CAF_CHECK_EQUAL(r.result.text, R"({"ms":6.5})"); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  self->send_exit(cam, caf::exit_reason::user_shutdown);
}

CAF_TEST(unknown_services_and_taken_names_are_errors) {
  lookup(self.ptr(), "test/nobody")
      .receive([&](const service&) { CAF_FAIL("found a service that does not exist"); },
               [&](caf::error& e) { CAF_CHECK(from_caf_error(e).code == errc::unknown_service); });
  auto first = spawn(camera, "test/cam3");
  find(self, "test/cam3");
  auto second = spawn(camera, "test/cam3");
  self->monitor(second);
  self->receive(
      [&](const caf::down_msg& d) {
        auto e = from_caf_error(d.reason);
        CAF_CHECK(e.code == errc::already_exists);
      },
      caf::after(must_arrive) >> [&] { CAF_FAIL("second server of one name kept running"); });
  self->send_exit(first, caf::exit_reason::user_shutdown);
}

CAF_TEST(a_service_that_dies_mid_request_gives_an_error_not_a_hang) {
  auto cam = spawn(camera, "test/cam4");
  auto svc = find(self, "test/cam4");
  auto long_timeout = std::chrono::milliseconds{60000};
  call(self.ptr(), svc, "crash", long_timeout)
      .receive([&](const reply&) { CAF_FAIL("a crashed service answered"); },
               [&](caf::error& e) {
                 auto err = from_caf_error(e);
                 CAF_MESSAGE(err.context);
                 CAF_CHECK(err.code == errc::peer_down);
                 CAF_CHECK(err.context.find("test/cam4") != std::string::npos);
               });
  // The name is gone with the actor.
  lookup(self.ptr(), "test/cam4")
      .receive([&](const service&) { CAF_FAIL("a dead service is still found"); },
               [&](caf::error& e) { CAF_CHECK(from_caf_error(e).code == errc::unknown_service); });
}

CAF_TEST(audit_records_show_small_packed_values_and_summarize_bulk_ones) {
  runtime::detail::audit_entry entry;
  entry.record.kind = "command";
  entry.args = pack(exposure{12.5});
  entry.result =
      pack(lookup_table{std::vector<double>(runtime::detail::audit_trail::value_limit / 8, 1.5)});
  auto doc = nlohmann::json::parse(runtime::detail::audit_event(entry).data.text);
  CAF_CHECK_EQUAL(doc["args"]["ms"].get<double>(), 12.5);
  // Over the limit: the schema and the size, not the bytes.
  CAF_CHECK(doc["result"].is_object());
  CAF_CHECK_EQUAL(doc["result"]["packed"].get<std::string>(), to_string(schema_of<lookup_table>()));
  CAF_CHECK_EQUAL(doc["result"]["bytes"].get<std::size_t>(), entry.result.bytes.size());
  CAF_CHECK(entry.result.bytes.size() > runtime::detail::audit_trail::value_limit);
}

CAF_TEST(a_deferred_command_answers_when_its_work_is_done) {
  auto st = spawn(stage, "test/stage0");
  auto svc = find(self, "test/stage0");
  auto sent = std::chrono::steady_clock::now();
  call(self.ptr(), svc, "move_to", target{12.5, 5})
      .receive(
          [&](const reply& r) {
            CAF_REQUIRE(r.ok());
            // A copy: CAF_CHECK_EQUAL keeps a reference past the temporary result.
            auto pos_mm = result_of<target>(r).value().pos_mm;
            CAF_CHECK_EQUAL(pos_mm, 12.5);
            // Answered on arrival, not when the motion started.
            CAF_CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds{150});
          },
          [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  call(self.ptr(), svc, "get_position")
      .receive([&](const reply& r) { CAF_CHECK(result_of<target>(r).value().pos_mm == 12.5); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  // JSON callers (the shell, Python) get the deferred answer as JSON.
  call_json(self.ptr(), svc, "move_to", json_text{R"({"pos_mm": 3})"})
      .receive(
          [&](const reply& r) {
            CAF_CHECK_EQUAL(r.result.text, R"({"pos_mm":3.0,"speed_mm_s":0.0})");
          },
          [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  self->send_exit(st, caf::exit_reason::user_shutdown);
}

CAF_TEST(a_deferred_command_refuses_bad_arguments_at_once_and_fails_with_its_error) {
  auto st = spawn(stage, "test/stage1");
  auto svc = find(self, "test/stage1");
  for (auto args : {R"({"pos": 5})", R"({})"}) {
    call_json(self.ptr(), svc, "move_to", json_text{args})
        .receive(
            [&](const reply& r) {
              CAF_CHECK(r.code == errc::invalid_argument);
              CAF_MESSAGE(r.error_context);
              CAF_CHECK(r.error_context.find("pos_mm") != std::string::npos);
            },
            [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  }
  call(self.ptr(), svc, "move_to", target{-1, 5})
      .receive(
          [&](const reply& r) {
            CAF_CHECK(r.code == errc::invalid_argument);
            CAF_CHECK(r.error_context.find("limit switch") != std::string::npos);
          },
          [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  // Nothing moved.
  call(self.ptr(), svc, "get_position")
      .receive([&](const reply& r) { CAF_CHECK(result_of<target>(r).value().pos_mm == 0.0); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  self->send_exit(st, caf::exit_reason::user_shutdown);
}

CAF_TEST(a_deferred_command_that_never_answers_times_out_for_its_caller) {
  auto st = spawn(stage, "test/stage2");
  auto svc = find(self, "test/stage2");
  auto timed_out = [&](const error& err) {
    CAF_MESSAGE(err.what());
    CAF_CHECK(err.code == errc::timeout);
    CAF_CHECK(err.context.find("'jam'") != std::string::npos);
  };
  call(self.ptr(), svc, "jam", std::chrono::milliseconds{200})
      .receive(
          [&](const reply& r) {
            CAF_CHECK(!r.ok());
            timed_out(error{r.code, r.error_context});
          },
          [&](caf::error& e) { timed_out(from_caf_error(e)); });
  // The stage keeps serving.
  call(self.ptr(), svc, "get_position")
      .receive([&](const reply& r) { CAF_CHECK(r.ok()); },
               [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  self->send_exit(st, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()
