#define CAF_SUITE runtime.node
#include "dxhub/runtime/node.hpp"

#include "dxhub/runtime/node_config.hpp"
#include "dxhub/tests/runtime/fixture.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <memory>
#include <stdexcept>
#include <string>

using namespace dxhub;
using namespace dxhub::runtime;

namespace {

/// Answers the name of the node its actor system has, or "" without one.
/// (It takes an argument: CAF 0.17 spawns a function actor without any
/// through a null tuple, which UBSan reports.)
caf::behavior node_name_teller(caf::event_based_actor* self, const std::string& /*role*/) {
  return {[self](const std::string&) {
    auto* n = node::of(self->home_system());
    return n == nullptr ? std::string{} : n->name();
  }};
}

std::string ask_node_name(caf::actor_system& sys) {
  caf::scoped_actor self{sys};
  auto teller = sys.spawn(node_name_teller, std::string{"teller"});
  std::string name = "(no answer)";
  self->request(teller, test::must_arrive, std::string{"who"})
      .receive([&](const std::string& n) { name = n; }, [](const caf::error&) {});
  self->send_exit(teller, caf::exit_reason::user_shutdown);
  return name;
}

} // namespace

CAF_TEST(an actor finds the node of its own system) {
  node_config cfg;
  caf::actor_system sys{cfg};
  CAF_CHECK(node::of(sys) == nullptr);
  {
    node n{sys, test::single_process_node("first")};
    CAF_CHECK(node::of(sys) == &n);
    CAF_CHECK(ask_node_name(sys) == "first");
  }
  // Gone with its node; a new node may take the system over.
  CAF_CHECK(node::of(sys) == nullptr);
  CAF_CHECK(ask_node_name(sys).empty());
  node again{sys, test::single_process_node("second")};
  CAF_CHECK(ask_node_name(sys) == "second");
}

CAF_TEST(two systems in one process each have their own node) {
  node_config cfg_a;
  caf::actor_system sys_a{cfg_a};
  node_config cfg_b;
  caf::actor_system sys_b{cfg_b};
  node a{sys_a, test::single_process_node("node-a")};
  node b{sys_b, test::single_process_node("node-b")};
  CAF_CHECK(ask_node_name(sys_a) == "node-a");
  CAF_CHECK(ask_node_name(sys_b) == "node-b");
  CAF_CHECK(node::of(sys_a) != node::of(sys_b));
}

CAF_TEST(a second node on one system is refused) {
  node_config cfg;
  caf::actor_system sys{cfg};
  node first{sys, test::single_process_node("first")};
  std::string why;
  try {
    node second{sys, test::single_process_node("second")};
  } catch (const std::logic_error& e) {
    why = e.what();
  }
  CAF_CHECK(why.find("already has a node") != std::string::npos);
  CAF_CHECK(ask_node_name(sys) == "first");
}

CAF_TEST(a system not made from node_config gets no node and a clear error) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::string why;
  try {
    node n{sys, test::single_process_node("plain")};
  } catch (const std::invalid_argument& e) {
    why = e.what();
  }
  CAF_CHECK(why.find("node_config") != std::string::npos);
  CAF_CHECK(node::of(sys) == nullptr);
  auto required = node::require(sys);
  CAF_REQUIRE(!required);
  CAF_CHECK(required.error().code == errc::invalid_argument);
}
