#define CAF_SUITE zmq.python_client
#include "dxhub/tests/support/caf_test.hpp"
#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/transports/zmq/lab_service.hpp"

using namespace dxhub;
using namespace dxhub::zmq;
using namespace std::chrono_literals;

namespace {

// A Python client (Debian's python3 + python3-zmq) written only from
// docs/protocol.md talks JSON to a C++ server.
void python_client_against(const std::string& endpoint) {
  io_loop loop;
  server_options options;
  options.accepted_schemas = {schema_of<command>()};
  auto srv = server::bind(loop, endpoint, fixture::lab_service, options);
  CAF_REQUIRE(srv);
  dxhub::test::child_process python{{DXHUB_PYTHON3,
                                     DXHUB_SOURCE_ROOT "/tests/transports/zmq/python_client.py",
                                     srv.value()->endpoint()}};
  auto output = python.read_all(30s);
  CAF_MESSAGE("python says:\n" << output);
  CAF_CHECK_EQUAL(python.exit_code(5s).value_or(-100), 0);
  CAF_CHECK(output.find("4 passed, 0 failed") != std::string::npos);
  CAF_CHECK_EQUAL(srv.value()->stats().messages_in(), 3u);
  CAF_CHECK_EQUAL(srv.value()->stats().rejected_total(), 0u);
}

} // namespace

CAF_TEST(a python client following the protocol document is served over ipc) {
  fixture::scratch_dir dir;
  python_client_against(dir.ipc("lab"));
}

CAF_TEST(a python client following the protocol document is served over tcp) {
  python_client_against("tcp://127.0.0.1:0");
}
