#define CAF_SUITE actors.audit_logger
#include "dxhub/actors/audit_logger.hpp"

#include "dxhub/actors/audit_file.hpp"
#include "dxhub/tests/actors/stock_fixture.hpp"

using namespace dxhub;
using namespace dxhub::actors;
using dxhub::test::read_lines;

namespace {

event sample_event(int i) {
  event e;
  e.topic = "test/cam0/state";
  e.source = "test-node/cam0";
  e.kind = "state";
  e.sequence = static_cast<uint64_t>(i);
  e.wall_ns = 1'700'000'000'000'000'000 + i;
  e.data = json_text{nlohmann::json{{"i", i}, {"text", "frame rate changed"}}.dump()};
  return e;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(audit_logger_tests, dxhub::test::stock_fixture)

CAF_TEST(every_line_is_json_with_iso_time_and_every_field) {
  audit_file_options opts;
  opts.path = (dir / "audit.jsonl").string();
  auto file = audit_file::open(opts);
  CAF_REQUIRE(file);
  audit_record cmd;
  cmd.wall_ns = 1'700'000'000'123'456'789;
  cmd.kind = "command";
  cmd.caller = "cli:me@host";
  cmd.target = "lab/cam0";
  cmd.action = "set_exposure";
  cmd.args = json_text{R"({"ms":12.5})"};
  cmd.result = json_text{R"({"ms":12.5})"};
  cmd.latency_ns = 42000;
  CAF_REQUIRE(file.value().append(cmd));
  CAF_REQUIRE(file.value().append(audit_record_of(sample_event(1))));
  auto lines = read_lines(opts.path);
  CAF_REQUIRE_EQUAL(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);
  CAF_CHECK_EQUAL(first["time"].get<std::string>(), "2023-11-14T22:13:20.123456789Z");
  CAF_CHECK_EQUAL(first["caller"].get<std::string>(), "cli:me@host");
  CAF_CHECK_EQUAL(first["action"].get<std::string>(), "set_exposure");
  CAF_CHECK_EQUAL(first["args"]["ms"].get<double>(), 12.5);
  CAF_CHECK_EQUAL(first["latency_ns"].get<int64_t>(), 42000);
  auto second = nlohmann::json::parse(lines[1]);
  CAF_CHECK_EQUAL(second["kind"].get<std::string>(), "event");
  CAF_CHECK_EQUAL(second["target"].get<std::string>(), "test/cam0/state");
  CAF_CHECK_EQUAL(second["args"]["i"].get<int>(), 1);
}

CAF_TEST(rotation_keeps_the_configured_number_of_files) {
  audit_file_options opts;
  opts.path = (dir / "rotated.jsonl").string();
  opts.rotate_bytes = 600;
  opts.keep_files = 3;
  auto file = audit_file::open(opts);
  CAF_REQUIRE(file);
  for (int i = 0; i < 200; ++i)
    CAF_REQUIRE(file.value().append(audit_record_of(sample_event(i))));
  CAF_CHECK(file.value().rotations() > 3u);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator{dir}) {
    ++files;
    CAF_CHECK(std::filesystem::file_size(entry.path()) <= opts.rotate_bytes);
    for (const auto& line : read_lines(entry.path()))
      CAF_CHECK(nlohmann::json::accept(line));
  }
  CAF_CHECK_EQUAL(files, 3u);
  CAF_CHECK(std::filesystem::exists(opts.path + ".2"));
  CAF_CHECK(!std::filesystem::exists(opts.path + ".3"));
  // The newest record is in the current file, the last line.
  auto current = read_lines(opts.path);
  CAF_REQUIRE(!current.empty());
  CAF_CHECK_EQUAL(nlohmann::json::parse(current.back())["args"]["i"].get<int>(), 199);
}

CAF_TEST(the_logger_actor_writes_commands_and_events_as_they_happen) {
  runtime::actor_args args;
  args.name = "audit";
  args.params = {{"path", (dir / "actor.jsonl").string()}};
  auto cfg = audit_logger_config_from(args);
  CAF_REQUIRE(cfg);
  auto logger = spawn_audit_logger(sys, cfg.value());
  spawned.push_back(logger);
  auto path = dir / "actor.jsonl";
  // get_state is a command: the router audits it, the logger logs it.
  auto state = state_of("audit");
  CAF_CHECK_EQUAL(state["path"].get<std::string>(), path.string());
  for (int i = 0; i < 10; ++i)
    node.emit(sample_event(i));
  CAF_REQUIRE(eventually([&] { return read_lines(path).size() >= 12; }));
  bool saw_command = false;
  int events = 0;
  for (const auto& line : read_lines(path)) {
    auto j = nlohmann::json::parse(line); // throws (fails the test) on a bad line
    if (j["kind"] == "command" && j["action"] == "get_state" && j["target"] == "audit")
      saw_command = true;
    if (j["kind"] == "event" && j["target"] == "test/cam0/state")
      ++events;
  }
  CAF_CHECK(saw_command);
  CAF_CHECK_EQUAL(events, 10);
}

CAF_TEST(bad_parameters_are_errors_not_crashes) {
  runtime::actor_args args;
  args.name = "audit";
  args.params = {{"path", ""}};
  CAF_CHECK(!audit_logger_config_from(args));
  args.params = {{"path", "x.jsonl"}, {"keep_files", 0}};
  CAF_CHECK(!audit_logger_config_from(args));
}

CAF_TEST_FIXTURE_SCOPE_END()
