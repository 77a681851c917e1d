#define CAF_SUITE apps.cli_user_actors
#include "dxhub/tests/apps/cli.hpp"

#include <fstream>
#include <string>

using namespace dxhub::test;

namespace {

/// A one-node deployment file in `dir` hosting `actor` (a [[nodes.actors]] body).
std::string one_node(const std::filesystem::path& dir, const std::string& node,
                     const std::string& actor) {
  auto name = unique_name("ua");
  auto file = dir / (name + ".toml");
  std::ofstream{file} << "[deployment]\nname = \"" << name << "\"\ngrace_ms = 2000\n"
                      << "[[nodes]]\nname = \"" << node << "\"\n[[nodes.actors]]\n"
                      << actor;
  return file.string();
}

bool says(const cli_result& r, const std::string& what) {
  return r.err.find(what) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cli_user_actor_tests, cli_fixture)

CAF_TEST(an_actor_that_cannot_start_stops_its_node_and_the_run_exits_1) {
  // A controller without its `target` parameter cannot work: restarting it
  // would only repeat the error.
  auto file = one_node(dir, "control", "type = \"controller\"\nname = \"ctl0\"\n");
  auto r = run({"run", file, "--duration", "30"});
  CAF_MESSAGE(r.err);
  CAF_CHECK_EQUAL(r.code, 1);
  CAF_CHECK(says(r, "control"));
  CAF_CHECK(says(r, "actor 'ctl0' cannot start"));
  CAF_CHECK(says(r, "no target service"));
}

CAF_TEST(a_parameter_of_the_wrong_type_is_named_with_the_type_it_wants) {
  auto file = one_node(dir, "camera",
                       "type = \"simulated_camera\"\nname = \"cam0\"\n"
                       "params = { rate_hz = \"fast\" }\npublishes = [\"ua/cam0/raw\"]\n");
  auto r = run({"run", file, "--duration", "30"});
  CAF_MESSAGE(r.err);
  CAF_CHECK_EQUAL(r.code, 1);
  CAF_CHECK(says(r, "parameter 'rate_hz' must be a number, got string \"fast\""));
  CAF_CHECK(says(r, "actor 'cam0' cannot start"));
}

CAF_TEST(a_user_type_is_checked_against_its_own_node_before_anything_starts) {
  // No plugin on this node: refused up front, naming the node and the type.
  auto file = one_node(dir, "motion", "type = \"stage\"\nname = \"stage\"\n");
  auto r = run({"run", file, "--duration", "30"});
  CAF_MESSAGE(r.err);
  CAF_CHECK_EQUAL(r.code, 2);
  CAF_CHECK(says(r, "node 'motion' has no actor type 'stage'"));
  CAF_CHECK(says(r, "plugins"));
}

CAF_TEST(a_plugin_that_does_not_exist_is_a_configuration_error) {
  auto name = unique_name("ua");
  auto file = dir / (name + ".toml");
  std::ofstream{file} << "[deployment]\nname = \"" << name << "\"\n[[nodes]]\nname = \"motion\"\n"
                      << "plugins = [\"build/libnothing.so\"]\n"
                      << "[[nodes.actors]]\ntype = \"stage\"\nname = \"stage\"\n";
  auto r = run({"run", file.string(), "--duration", "30"});
  CAF_MESSAGE(r.err);
  CAF_CHECK_EQUAL(r.code, 2);
  CAF_CHECK(says(r, "libnothing.so"));
  CAF_CHECK(says(r, "no such file"));
}

CAF_TEST_FIXTURE_SCOPE_END()
