#define CAF_SUITE launch.restart_policy
#include "dxhub/launch/restart_policy.hpp"

#include "dxhub/tests/support/caf_test.hpp"

using namespace dxhub;
using namespace dxhub::launch;
using namespace std::chrono_literals;

CAF_TEST(restart kinds decide which exits are restarted) {
  CAF_CHECK(should_restart(restart_kind::permanent, false));
  CAF_CHECK(should_restart(restart_kind::permanent, true));
  CAF_CHECK(!should_restart(restart_kind::transient, false));
  CAF_CHECK(should_restart(restart_kind::transient, true));
  CAF_CHECK(!should_restart(restart_kind::temporary, true));
  CAF_CHECK(parse_restart_kind("transient").value() == restart_kind::transient);
  CAF_CHECK(parse_restart_kind("sometimes").error() == errc::invalid_argument);
}

CAF_TEST(at most R restarts within T) {
  restart_intensity intensity{{2, 1000ms, 100ms, 1000ms}};
  restart_intensity::clock::time_point t0{};
  CAF_CHECK(intensity.record_failure(t0));
  CAF_CHECK(intensity.record_failure(t0 + 100ms));
  CAF_CHECK(!intensity.record_failure(t0 + 200ms));
  // Once the window has moved past the old failures, restarts are allowed again.
  intensity.reset();
  CAF_CHECK(intensity.record_failure(t0));
  CAF_CHECK(intensity.record_failure(t0 + 600ms));
  CAF_CHECK(intensity.record_failure(t0 + 1100ms));
  CAF_CHECK_EQUAL(intensity.recent(), 2u);
}

CAF_TEST(backoff doubles per failure in the window up to the maximum) {
  restart_intensity intensity{{10, 10000ms, 100ms, 500ms}};
  restart_intensity::clock::time_point t0{};
  CAF_CHECK_EQUAL(intensity.backoff().count(), 0);
  intensity.record_failure(t0);
  CAF_CHECK_EQUAL(intensity.backoff().count(), 100);
  intensity.record_failure(t0 + 1ms);
  CAF_CHECK_EQUAL(intensity.backoff().count(), 200);
  intensity.record_failure(t0 + 2ms);
  CAF_CHECK_EQUAL(intensity.backoff().count(), 400);
  intensity.record_failure(t0 + 3ms);
  CAF_CHECK_EQUAL(intensity.backoff().count(), 500);
}
