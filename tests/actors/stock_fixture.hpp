#pragma once

// Helpers for the stock actor suites: a real actor system with a dxhub node
// (tests/runtime/fixture.hpp), service lookup and bounded polling, and a
// scratch directory removed at the end.

#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/frame.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/text_file.hpp"
#include "dxhub/tests/support/wait.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dxhub::test {

struct stock_fixture : node_fixture {
  std::filesystem::path dir;

  stock_fixture() {
    dir = std::filesystem::temp_directory_path()
          / ("dxhub-actors-" + std::to_string(::getpid()) + "-"
             + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
  }

  ~stock_fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  /// Looks `name` up until it appears (services register asynchronously).
  runtime::service find(const std::string& name) {
    runtime::service found;
    auto known = [&] {
      runtime::lookup(self.ptr(), name)
          .receive([&](const runtime::service& s) { found = s; }, [](caf::error&) {});
      return static_cast<bool>(found.handle);
    };
    if (!test::wait_until(known, must_arrive, std::chrono::milliseconds{5}))
      CAF_FAIL("service '" << name << "' never appeared");
    return found;
  }

  /// Calls `command` with JSON arguments; the reply, or a failed test.
  reply call(const std::string& service, const std::string& command,
             const std::string& args = "{}") {
    auto svc = find(service);
    reply answer;
    bool got = false;
    runtime::call_json(self.ptr(), svc, command, json_text{args})
        .receive(
            [&](const reply& r) {
              answer = r;
              got = true;
            },
            [&](caf::error& e) { CAF_FAIL("call failed: " << sys.render(e)); });
    CAF_REQUIRE(got);
    return answer;
  }

  /// The result of a successful call as JSON.
  nlohmann::json state_of(const std::string& service) {
    auto r = call(service, "get_state");
    CAF_REQUIRE(r.ok());
    return nlohmann::json::parse(r.result.text);
  }

  /// Hands `count` frames of this test's subscriptions to `on_frame`
  /// (changes of a channel pass by); fails when one does not come in time.
  void receive_frames(int count, const std::function<void(const runtime::frame&)>& on_frame) {
    int seen = 0;
    while (seen < count)
      self->receive(
          [&](const runtime::frame& f) {
            on_frame(f);
            ++seen;
          },
          [](const runtime::channel_status&) {},
          caf::after(must_arrive) >> [&] { CAF_FAIL("frame " << seen << " did not come"); });
  }

  /// Hands the events this test subscribed to to `done` until it says so;
  /// fails when one does not come in time.
  void receive_events_until(const std::function<bool(const event&)>& done) {
    bool finished = false;
    while (!finished)
      self->receive([&](const event& e) { finished = done(e); },
                    caf::after(must_arrive) >> [&] { CAF_FAIL("an event did not come"); });
  }

  /// Polls `done` until it holds or `must_arrive` passes.
  bool eventually(const std::function<bool()>& done) { return test::wait_until(done, must_arrive); }
};

} // namespace dxhub::test
