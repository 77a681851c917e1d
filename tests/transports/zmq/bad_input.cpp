#define CAF_SUITE zmq.bad_input
#include "dxhub/schemas/event.hpp"
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/transports/zmq/lab_service.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <mutex>

using namespace dxhub;
using namespace dxhub::zmq;
using namespace std::chrono_literals;

namespace {

using frames = std::vector<std::string>;

std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

/// [header][payload] of a valid `double` command, as raw strings.
frames valid_request(uint64_t id, encoding enc = encoding::binary) {
  auto payload = encode_payload(fixture::double_command(id, 5, "raw"), enc);
  auto header = header_for<command>(message_kind::request, enc);
  header.correlation = id;
  header.payload_size = static_cast<uint32_t>(payload.value().size());
  return {text_of(encode_header_bytes(header)), payload.value().to_string()};
}

void send(::zmq::socket_t& socket, const frames& message) {
  for (std::size_t i = 0; i < message.size(); ++i)
    socket.send(::zmq::buffer(message[i]),
                i + 1 < message.size() ? ::zmq::send_flags::sndmore : ::zmq::send_flags::none);
}

/// The next reply on `socket` as [header][payload], or nothing within 5 s.
std::optional<wire_message> next_reply(::zmq::socket_t& socket) {
  std::vector<::zmq::pollitem_t> items{{socket.handle(), 0, ZMQ_POLLIN, 0}};
  if (::zmq::poll(items, 5s) == 0)
    return std::nullopt;
  std::vector<::zmq::message_t> parts;
  do {
    parts.emplace_back();
    (void)socket.recv(parts.back());
  } while (parts.back().more());
  auto msg = decode_message(parts, limits{});
  if (!msg)
    return std::nullopt;
  return std::move(msg).value();
}

} // namespace

CAF_TEST(every kind of bad message is rejected and counted and the next valid one is served) {
  fixture::scratch_dir dir;
  io_loop loop;
  std::mutex log_mutex;
  std::vector<std::string> log;
  server_options options;
  options.limits.max_message_size = 64 << 10;
  options.accepted_schemas = {schema_of<command>()};
  options.on_reject = [&](const error& reason) {
    std::lock_guard<std::mutex> guard{log_mutex};
    log.push_back(reason.what());
  };
  auto srv = server::bind(loop, dir.ipc("hardened"), fixture::lab_service, options);
  CAF_REQUIRE(srv);
  ::zmq::socket_t raw{loop.context(), ZMQ_DEALER};
  raw.set(::zmq::sockopt::linger, 0);
  raw.connect(srv.value()->endpoint());

  auto good = valid_request(1);
  // malformed: header without payload; and a message of too many frames
  send(raw, {good[0]});
  send(raw, {good[0], good[1], "x", "y", "z", "w"});
  // truncated: a header cut short; a payload shorter than announced
  send(raw, {good[0].substr(0, 20), good[1]});
  send(raw, {good[0], good[1].substr(0, good[1].size() - 1)});
  // oversized: a payload above the limit (announced and sent)
  {
    auto header = header_for<command>(message_kind::request, encoding::binary);
    header.payload_size = 70 << 10;
    send(raw, {text_of(encode_header_bytes(header)), std::string(70 << 10, 'x')});
  }
  // wrong magic, wrong version
  auto bad = good;
  bad[0][0] = 'Q';
  send(raw, bad);
  bad = good;
  bad[0][4] = 9;
  send(raw, bad);
  // wrong schema: an event where the server takes commands
  {
    auto payload = encode_payload(event{}, encoding::binary);
    auto header = header_for<event>(message_kind::request, encoding::binary);
    header.correlation = 77;
    header.payload_size = static_cast<uint32_t>(payload.value().size());
    send(raw, {text_of(encode_header_bytes(header)), payload.value().to_string()});
  }
  // bad JSON
  {
    std::string broken = R"({"id": 1, "name": "double", "args": {"n": )";
    auto header = header_for<command>(message_kind::request, encoding::json);
    header.correlation = 78;
    header.payload_size = static_cast<uint32_t>(broken.size());
    send(raw, {text_of(encode_header_bytes(header)), broken});
  }
  // bad binary
  {
    auto header = header_for<command>(message_kind::request, encoding::binary);
    header.correlation = 79;
    header.payload_size = 3;
    send(raw, {text_of(encode_header_bytes(header)), "\xff\xff\xff"});
  }
  // and then a valid one, in JSON
  send(raw, valid_request(42, encoding::json));

  // Rejections with a readable header are answered with an error reply;
  // the valid request gets its real reply.
  std::map<uint64_t, errc> errors;
  std::optional<wire_message> served;
  while (!served) {
    auto answer = next_reply(raw);
    CAF_REQUIRE(answer);
    if (answer->header.kind == message_kind::error)
      errors[answer->header.correlation] = error_from_reply(*answer).code;
    else
      served = std::move(answer);
  }
  CAF_CHECK_EQUAL(fixture::check_double_reply(std::move(*served), 42, 5, "raw"), "");
  CAF_CHECK(errors[77] == errc::schema_mismatch);
  CAF_CHECK(errors[78] == errc::bad_encoding);
  CAF_CHECK(errors[79] == errc::bad_encoding); // the service could not decode it

  auto& stats = srv.value()->stats();
  CAF_MESSAGE("counters: " << stats.to_json());
  CAF_CHECK_EQUAL(stats.rejected(errc::malformed_message), 2u);
  CAF_CHECK_EQUAL(stats.rejected(errc::truncated_message), 2u);
  CAF_CHECK_EQUAL(stats.rejected(errc::oversized_message), 1u);
  CAF_CHECK_EQUAL(stats.rejected(errc::bad_magic), 1u);
  CAF_CHECK_EQUAL(stats.rejected(errc::unsupported_version), 1u);
  CAF_CHECK_EQUAL(stats.rejected(errc::schema_mismatch), 1u);
  // JSON found by the server itself, binary by the service (responder::reject)
  CAF_CHECK_EQUAL(stats.rejected(errc::bad_encoding), 2u);
  CAF_CHECK_EQUAL(stats.messages_in(), 11u);
  std::lock_guard<std::mutex> guard{log_mutex};
  CAF_CHECK_EQUAL(log.size(), 10u);
  for (const auto& line : log)
    CAF_MESSAGE("rejected: " << line);
}

CAF_TEST(a frame above the transport limit costs its sender the connection and nothing else) {
  fixture::scratch_dir dir;
  io_loop loop;
  server_options options;
  options.limits.max_message_size = 64 << 10;
  auto srv = server::bind(loop, dir.ipc("hardened"), fixture::lab_service, options);
  CAF_REQUIRE(srv);
  {
    ::zmq::socket_t raw{loop.context(), ZMQ_DEALER};
    raw.set(::zmq::sockopt::linger, 0);
    raw.connect(srv.value()->endpoint());
    auto huge = valid_request(1);
    huge[1] = std::string(4 << 20, 'x');
    send(raw, huge); // libzmq drops it (ZMQ_MAXMSGSIZE) and closes this connection
  }
  auto c = client::connect(loop, srv.value()->endpoint());
  CAF_REQUIRE(c);
  auto answer = c.value()->call<dxhub::reply>(fixture::double_command(2, 2, "after"), 5s);
  CAF_REQUIRE(answer);
  CAF_CHECK_EQUAL(answer.value().id, 2u);
}
