#define CAF_SUITE schemas.arguments
#include "dxhub/schemas/arguments.hpp"

#include "dxhub/tests/support/caf_test.hpp"

#include <string>

using namespace dxhub;

namespace {

/// A stage's `move_to`: the position is required, the speed has a default.
struct move_target {
  static constexpr const char* schema_name = "test.move_target";
  static constexpr uint32_t schema_version = 1;
  double pos_mm = 0;
  double speed_mm_s = 2.5;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("pos_mm", x.pos_mm), defaulted("speed_mm_s", x.speed_mm_s));
  }
};

struct axis_count {
  static constexpr const char* schema_name = "test.axis_count";
  static constexpr uint32_t schema_version = 1;
  uint8_t axes = 1;
  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("axes", x.axes));
  }
};

struct no_arguments {
  static constexpr const char* schema_name = "test.none";
  static constexpr uint32_t schema_version = 1;
  template <class Self, class F>
  static decltype(auto) describe(Self&, F&& f) {
    return f();
  }
};

/// The error of reading `text` as T; fails the test when it was read.
template <class T>
error refusal(std::string_view text) {
  auto read = parse_arguments<T>(text);
  CAF_REQUIRE(!read);
  CAF_MESSAGE(read.error().what());
  return read.error();
}

bool mentions(const error& e, std::string_view what) {
  return e.context.find(what) != std::string::npos;
}

} // namespace

CAF_TEST(required_arguments_are_read_and_defaults_fill_the_rest) {
  auto t = parse_arguments<move_target>(R"({"pos_mm": 5})");
  CAF_REQUIRE(t);
  CAF_CHECK_EQUAL(t.value().pos_mm, 5.0);
  CAF_CHECK_EQUAL(t.value().speed_mm_s, 2.5);
  auto both = parse_arguments<move_target>(R"({"pos_mm": -1.5, "speed_mm_s": 10})");
  CAF_REQUIRE(both);
  CAF_CHECK_EQUAL(both.value().speed_mm_s, 10.0);
}

CAF_TEST(a_misspelt_argument_is_refused_naming_it_and_the_real_ones) {
  auto e = refusal<move_target>(R"({"pos": 5})");
  CAF_CHECK(e.code == errc::invalid_argument);
  CAF_CHECK(mentions(e, "unknown argument 'pos'"));
  CAF_CHECK(mentions(e, "pos_mm, speed_mm_s"));
}

CAF_TEST(a_missing_argument_is_refused_naming_it) {
  for (auto text : {"{}", "null", "", R"({"speed_mm_s": 1})"}) {
    auto e = refusal<move_target>(text);
    CAF_CHECK(e.code == errc::invalid_argument);
    CAF_CHECK(mentions(e, "missing argument 'pos_mm' (a number)"));
  }
}

CAF_TEST(a_value_of_the_wrong_type_names_the_argument_and_the_type_it_wants) {
  auto e = refusal<move_target>(R"({"pos_mm": "5"})");
  CAF_CHECK(e.code == errc::invalid_argument);
  CAF_CHECK(mentions(e, "argument 'pos_mm' must be a number, got string \"5\""));
  auto range = refusal<axis_count>(R"({"axes": 300})");
  CAF_CHECK(mentions(range, "argument 'axes' must be an integer"));
  CAF_CHECK(mentions(range, "out of range"));
  auto fraction = refusal<axis_count>(R"({"axes": 1.5})");
  CAF_CHECK(mentions(fraction, "must be an integer, got number 1.5"));
}

CAF_TEST(arguments_that_are_not_an_object_or_not_json_are_refused) {
  CAF_CHECK(mentions(refusal<move_target>("[1, 2]"), "must be a JSON object, got array"));
  CAF_CHECK(mentions(refusal<move_target>("{pos_mm: 5"), "arguments are not JSON"));
}

CAF_TEST(a_command_without_arguments_takes_nothing_or_an_empty_object) {
  CAF_CHECK(parse_arguments<no_arguments>("{}"));
  CAF_CHECK(parse_arguments<no_arguments>("null"));
  auto e = refusal<no_arguments>(R"({"force": true})");
  CAF_CHECK(mentions(e, "unknown argument 'force' (arguments: none)"));
}
