#define CAF_SUITE dashboard.dashboard_access
#include "dxhub/actors/detail/dashboard_access.hpp"

#include "dxhub/actors/detail/dashboard_protocol.hpp"
#include "dxhub/tests/support/caf_test.hpp"

#include <set>
#include <string>

using namespace dxhub;
using namespace dxhub::actors::detail;

CAF_TEST(a_token_is_32_hex_digits_and_fresh_each_time) {
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    auto token = make_dashboard_token();
    CAF_REQUIRE(token);
    CAF_CHECK_EQUAL(token.value().size(), 32u);
    CAF_CHECK(token.value().find_first_not_of("0123456789abcdef") == std::string::npos);
    CAF_CHECK(seen.insert(token.value()).second);
  }
}

CAF_TEST(only_the_exact_token_matches) {
  CAF_CHECK(token_matches("abc123", "abc123"));
  CAF_CHECK(!token_matches("abc123", "abc124"));
  CAF_CHECK(!token_matches("abc123", "abc12"));
  CAF_CHECK(!token_matches("abc123", "abc1234"));
  CAF_CHECK(!token_matches("abc123", ""));
  // A dashboard without a token lets nobody in, not everybody.
  CAF_CHECK(!token_matches("", ""));
}

CAF_TEST(the_token_comes_from_the_query_the_bearer_header_or_the_cookie) {
  CAF_CHECK_EQUAL(token_of("/?token=t1", "", ""), "t1");
  CAF_CHECK_EQUAL(token_of("/ws?x=1&token=t2&y=2", "", ""), "t2");
  CAF_CHECK_EQUAL(token_of("/", "Bearer t3", ""), "t3");
  CAF_CHECK_EQUAL(token_of("/app.js", "", "a=1; dxhub_token=t4; b=2"), "t4");
  CAF_CHECK_EQUAL(token_of("/", "", "xdxhub_token=t5"), "");
  CAF_CHECK_EQUAL(token_of("/?tokens=t6", "Basic abc", "other=1"), "");
  CAF_CHECK_EQUAL(path_of("/app.js?token=x"), "/app.js");
  CAF_CHECK_EQUAL(path_of("/"), "/");
}

CAF_TEST(a_non_loopback_listen_address_needs_allow_remote) {
  auto local = parse_listen_address("127.0.0.1:8080", false, true);
  CAF_REQUIRE(local);
  CAF_CHECK(local.value().loopback);
  CAF_CHECK_EQUAL(local.value().port, 8080);
  CAF_CHECK(parse_listen_address("localhost:0", false, true));
  CAF_CHECK(parse_listen_address("[::1]:9000", false, true));
  auto remote = parse_listen_address("0.0.0.0:8080", false, true);
  CAF_REQUIRE(!remote);
  CAF_CHECK(remote.error().code == errc::invalid_argument);
  CAF_CHECK(remote.error().context.find("--allow-remote") != std::string::npos);
  auto allowed = parse_listen_address("0.0.0.0:8080", true, true);
  CAF_REQUIRE(allowed);
  CAF_CHECK(!allowed.value().loopback);
  CAF_CHECK(!parse_listen_address("0.0.0.0:8080", true, false));
  for (const auto* bad :
       {"8080", ":8080", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:80x", "example.org:80"})
    CAF_CHECK(!parse_listen_address(bad, true, true));
}

CAF_TEST(requests_are_read_strictly_and_bounded) {
  auto watch = parse_dashboard_request(
      R"({"type":"watch","views":[{"channel":"lab/cam0/raw","kind":"image"}]})");
  CAF_REQUIRE(watch);
  CAF_CHECK(watch.value().what == dashboard_request::type::watch);
  CAF_REQUIRE_EQUAL(watch.value().views.size(), 1u);
  CAF_CHECK_EQUAL(watch.value().views[0].channel, "lab/cam0/raw");
  auto cmd = parse_dashboard_request(
      R"({"type":"command","id":7,"service":"cam0","command":"set_exposure","args":{"ms":5}})");
  CAF_REQUIRE(cmd);
  CAF_CHECK_EQUAL(cmd.value().id, 7u);
  CAF_CHECK_EQUAL(cmd.value().args["ms"].get<int>(), 5);
  for (const auto* bad : {"", "not json", "[]", R"({"kind":"watch"})", R"({"type":"dance"})",
                          R"({"type":"watch"})", R"({"type":"watch","views":[{"channel":"a/b"}]})",
                          R"({"type":"watch","views":[{"channel":"../etc","kind":"image"}]})",
                          R"({"type":"watch","views":[{"channel":"a/b","kind":"hologram"}]})",
                          R"({"type":"command","service":"cam0"})",
                          R"({"type":"command","service":"cam0","command":"x","args":[1]})",
                          R"({"type":"command","service":"cam0","command":"x","id":-1})",
                          R"({"type":"command","service":"","command":"x"})"}) {
    auto r = parse_dashboard_request(bad);
    CAF_CHECK(!r);
    if (!r)
      CAF_CHECK(!r.error().context.empty());
  }
  std::string huge = R"({"type":"command","service":"cam0","command":"x","args":{"a":")"
                     + std::string(max_dashboard_request, 'x') + "\"}}";
  auto too_big = parse_dashboard_request(huge);
  CAF_REQUIRE(!too_big);
  CAF_CHECK(too_big.error().code == errc::oversized_message);
}

CAF_TEST(a_view_shows_the_field_that_fits_it) {
  frame_schema camera{"cam", 1, {{"image", dtype::u16, {48, 64}}, {"stamps", dtype::f64, {4}}}};
  frame_schema adc{"adc", 1, {{"samples", dtype::f32, {4, 100}}, {"stamps", dtype::f64, {2}}}};
  CAF_CHECK_EQUAL(std::string{field_for_view(camera, "image").value()}, "image");
  CAF_CHECK_EQUAL(std::string{field_for_view(camera, "waveform").value()}, "stamps");
  CAF_CHECK_EQUAL(std::string{field_for_view(adc, "waveform").value()}, "samples");
  CAF_CHECK_EQUAL(std::string{field_for_view(adc, "image").value()}, "samples");
  frame_schema raw{"raw", 1, {{"data", dtype::u8, {4096}}}};
  auto none = field_for_view(raw, "image");
  CAF_REQUIRE(!none);
  CAF_CHECK(none.error().context.find("data u8") != std::string::npos);
}

CAF_TEST(a_frame_message_is_length_header_then_bytes) {
  std::array<std::byte, 3> data{std::byte{1}, std::byte{2}, std::byte{3}};
  auto m = frame_message({{"a", 1}}, data);
  // The header is padded to 12 bytes: the data starts at byte 16.
  CAF_REQUIRE_EQUAL(m.size(), 4u + 12u + 3u);
  CAF_CHECK_EQUAL(static_cast<int>(m[0]), 12);
  CAF_CHECK_EQUAL(m.substr(4, 12), R"({"a":1}     )");
  CAF_CHECK_EQUAL(nlohmann::json::parse(m.substr(4, 12)), nlohmann::json({{"a", 1}}));
  CAF_CHECK_EQUAL(static_cast<int>(m[16]), 1);
  CAF_CHECK_EQUAL(static_cast<int>(m[18]), 3);
}

CAF_TEST(a_frame_message_puts_the_data_at_a_multiple_of_8_bytes) {
  std::array<std::byte, 8> data{};
  for (int extra = 0; extra < 9; ++extra) {
    auto m = frame_message({{"name", std::string(static_cast<std::size_t>(extra), 'x')}}, data);
    auto header_bytes = static_cast<std::size_t>(static_cast<unsigned char>(m[0]));
    CAF_CHECK_EQUAL((4 + header_bytes) % 8, 0u);
    CAF_CHECK_EQUAL(m.size(), 4 + header_bytes + data.size());
  }
}
