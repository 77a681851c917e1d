#define CAF_SUITE dashboard.dashboard_overview
#include "dxhub/actors/detail/dashboard_overview.hpp"

#include "dxhub/launch/child_process.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <unistd.h>

// The nodes of the overview as a person reads them: up, down as soon as
// their process is gone, back up with a restart counted when the same node
// name comes back in another process.

using namespace dxhub;
using namespace dxhub::actors::detail;

namespace {

constexpr const char* here = "this-host";

registry_record node_record(const std::string& name, pid_t pid, const std::string& host = here) {
  registry_record r;
  r.kind = entry_kind::node;
  r.name = name;
  r.node = name;
  r.host = host;
  r.pid = static_cast<uint32_t>(pid);
  return r;
}

/// The pid of a process that existed and is gone (reaped).
pid_t gone_pid() {
  auto child = launch::child_process::fork([] { return 0; });
  CAF_REQUIRE(child.has_value());
  auto pid = child.value().pid();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  child.value().reaped(launch::exit_status::from_wait(status));
  return pid;
}

/// The status of node `name` in a snapshot ("" when it is not listed).
std::string status_of(dashboard_overview& o, const std::string& name) {
  auto snapshot = o.snapshot(0, 1'000'000'000, ::getpid());
  for (const auto& n : snapshot["nodes"])
    if (n["name"] == name)
      return n["status"].get<std::string>();
  return {};
}

} // namespace

CAF_TEST(a_node_whose_process_is_gone_is_down_before_its_lease_ends) {
  dashboard_overview o{here};
  auto dead = gone_pid();
  o.listed({node_record("alive", ::getpid()), node_record("dead", dead)}, 1);
  CAF_CHECK_EQUAL(status_of(o, "alive"), "up");
  CAF_CHECK_EQUAL(status_of(o, "dead"), "down");
  // A node of another host cannot be checked here: the registry decides.
  o.listed({node_record("remote", dead, "other-host")}, 2);
  CAF_CHECK_EQUAL(status_of(o, "remote"), "up");
}

CAF_TEST(a_node_no_longer_listed_is_down_and_comes_back_with_a_restart) {
  dashboard_overview o{here};
  o.listed({node_record("camera", gone_pid())}, 1);
  o.listed({}, 2);
  CAF_CHECK_EQUAL(status_of(o, "camera"), "down");
  o.listed({node_record("camera", ::getpid())}, 3);
  CAF_CHECK_EQUAL(status_of(o, "camera"), "up");
  auto snapshot = o.snapshot(0, 0, ::getpid());
  const auto& row = snapshot["nodes"][0];
  CAF_CHECK_EQUAL(row["restarts"].get<int>(), 1);
  CAF_CHECK_EQUAL(row["pid"].get<pid_t>(), ::getpid());
}

CAF_TEST(a_service_shows_its_commands_and_its_last_state_event) {
  dashboard_overview o{here};
  registry_record svc;
  svc.kind = entry_kind::service;
  svc.name = "cam0";
  svc.node = "camera";
  svc.properties.text = R"({"commands":["get_state","set_exposure"]})";
  o.listed({svc}, 1);
  event e;
  e.topic = "cam0/state";
  e.kind = "state";
  e.data.text = R"({"exposure_ms":7.5})";
  o.heard(e);
  event other;
  other.topic = "cam0/stats";
  other.kind = "stats";
  other.data.text = R"({"exposure_ms":1})";
  o.heard(other);
  auto snapshot = o.snapshot(0, 0, ::getpid());
  const auto& services = snapshot["services"];
  CAF_REQUIRE_EQUAL(services.size(), 1u);
  CAF_CHECK_EQUAL(services[0]["commands"][1].get<std::string>(), "set_exposure");
  CAF_CHECK_EQUAL(services[0]["state"]["exposure_ms"].get<double>(), 7.5);
}
