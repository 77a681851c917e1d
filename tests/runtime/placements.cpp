#define CAF_SUITE runtime.placements
#include "dxhub/tests/support/caf_test.hpp"

// One test body (stream_peer's receiver: every frame intact and in order),
// three placements of publisher and subscriber: one process, two processes
// on one host, two "hosts" - network namespaces joined by a veth pair, each
// with its own /dev/shm, distinct host ids, tcp with CURVE. Each placement
// asserts the transport that carried the frames. The registry is a process
// of its own (registry_peer, built with the actors' tests).

#include "dxhub/tests/support/child_process.hpp"
#include "dxhub/tests/support/network_host.hpp"
#include "dxhub/transports/zmq/security.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace std::chrono_literals;
using dxhub::test::child_process;

namespace {

constexpr auto must_finish = 30s;

std::string peer() {
  return dxhub::test::built_program("tests/runtime/stream_peer");
}

std::string registry_peer() {
  return dxhub::test::built_program("tests/actors/registry_peer");
}

/// A scratch directory and segment prefix of this test run, removed at the end.
struct placement_fixture {
  std::string tag = std::to_string(getpid());
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / dxhub::test::unique_name("dxhub-placement");

  placement_fixture() {
    std::filesystem::create_directories(dir);
    setenv("DXHUB_SHM_PREFIX", ("dxhub-placement." + tag + ".").c_str(), 1);
  }

  ~placement_fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    for (const auto& e : std::filesystem::directory_iterator{"/dev/shm", ignored})
      if (e.path().filename().string().rfind("dxhub-placement." + tag + ".", 0) == 0)
        std::filesystem::remove(e.path(), ignored);
  }

  std::string at(const std::string& name) const { return (dir / name).string(); }
};

/// Waits for the receiver's verdict: "RECEIVED <n> <transport>" expected.
std::string verdict(child_process& receiver) {
  auto deadline = std::chrono::steady_clock::now() + must_finish;
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = receiver.read_line(1s);
    if (line
        && (line->rfind("RECEIVED", 0) == 0 || line->rfind("BAD", 0) == 0
            || line->rfind("TIMEOUT", 0) == 0))
      return *line;
  }
  return "no verdict within 30 s";
}

void expect_line(child_process& p, const std::string& want) {
  auto line = p.read_line(must_finish);
  CAF_REQUIRE(line.has_value());
  if (*line != want)
    CAF_FAIL("expected '" << want << "', got '" << *line << "'");
}

/// "Hosts" made of namespaces (tests/support/network_host.hpp). A process
/// started by `new_host` waits for the end of a veth pair that `link_hosts`
/// hands it; `on_host_of` starts a process in the network of a running one,
/// once that has an address. The namespaces, and so the veth pair, go with
/// their processes.
child_process new_host(const std::vector<std::string>& argv, const std::string& veth,
                       const std::string& address) {
  return child_process{
      dxhub::test::network_host_command({"/usr/bin/env", "unshare", "--net"}, argv),
      {"DX_IF=" + veth, "DX_ADDR=" + address}};
}

child_process on_host_of(const child_process& host, const std::string& address,
                         const std::vector<std::string>& argv) {
  auto net = "--net=/proc/" + std::to_string(host.pid()) + "/ns/net";
  return child_process{dxhub::test::network_host_command({"/usr/bin/env", "nsenter", net}, argv),
                       {"DX_WAIT_ADDR=" + address}};
}

bool link_hosts(const child_process& a, const child_process& b, const std::string& tag) {
  auto run = [](const std::string& cmd) { return std::system((cmd + " 2>&1").c_str()) == 0; };
  return run("ip link add dxva" + tag + " type veth peer name dxvb" + tag)
         && run("ip link set dxva" + tag + " netns " + std::to_string(a.pid()))
         && run("ip link set dxvb" + tag + " netns " + std::to_string(b.pid()));
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(placement_tests, placement_fixture)

CAF_TEST(one_process_frames_are_handed_over_in_process) {
  child_process both{{peer(), "networked=0", "shared_memory=0", "publish=lab/one/raw",
                      "receive=lab/one/raw", "count=200"}};
  CAF_CHECK_EQUAL(verdict(both), "RECEIVED 200 in_process");
}

CAF_TEST(two_processes_on_one_host_share_memory) {
  auto registry = "ipc://" + at("registry");
  child_process registry_node{{registry_peer(), "endpoint=" + registry, "dir=" + dir.string()}};
  expect_line(registry_node, "READY " + registry);
  child_process publisher{
      {peer(), "name=pub", "registry=" + registry, "dir=" + dir.string(), "publish=lab/two/raw"}};
  expect_line(publisher, "PUBLISHING");
  child_process receiver{{peer(), "name=sub", "registry=" + registry, "dir=" + dir.string(),
                          "receive=lab/two/raw", "count=200"}};
  CAF_CHECK_EQUAL(verdict(receiver), "RECEIVED 200 shm");
}

CAF_TEST(two_hosts_send_frames_over_tcp_with_curve) {
  if (geteuid() != 0
      || std::system("command -v ip >/dev/null && command -v unshare >/dev/null && command -v "
                     "nsenter >/dev/null")
             != 0) {
    CAF_FAIL("needs root, iproute2, unshare and nsenter (the README's test command runs as root)");
  }
  // Each host its key pair; each lets the other in.
  auto key_a = dxhub::zmq::generate_keypair();
  auto key_b = dxhub::zmq::generate_keypair();
  CAF_REQUIRE(dxhub::zmq::save_keypair(at("a.key"), key_a));
  CAF_REQUIRE(dxhub::zmq::save_keypair(at("b.key"), key_b));
  std::ofstream{at("allowed")} << key_a.public_key << "\n" << key_b.public_key << "\n";
  const std::string registry = "tcp://169.254.77.1:7100";
  std::vector<std::string> curve{"allow_remote=1", "allow=" + at("allowed"),
                                 "registry_pub=" + at("a.key.pub")};
  // Host a: the registry (its key is the one the nodes expect) and the publisher.
  auto registry_node = new_host({registry_peer(), "name=registry", "host=host-a",
                                 "endpoint=" + registry, "allow_remote=1", "allow=" + at("allowed"),
                                 "secret=" + at("a.key"), "registry_pub=" + at("a.key.pub")},
                                "dxva" + tag, "169.254.77.1");
  auto publisher_args = std::vector<std::string>{peer(),
                                                 "name=pub",
                                                 "host=host-a",
                                                 "endpoint=tcp://169.254.77.1:7200",
                                                 "registry=" + registry,
                                                 "secret=" + at("a.key"),
                                                 "publish=lab/far/raw"};
  publisher_args.insert(publisher_args.end(), curve.begin(), curve.end());
  auto receiver_args = std::vector<std::string>{peer(),
                                                "name=sub",
                                                "host=host-b",
                                                "endpoint=tcp://169.254.77.2:7100",
                                                "registry=" + registry,
                                                "secret=" + at("b.key"),
                                                "receive=lab/far/raw",
                                                "count=200",
                                                "policy=latest"}; // reliable: refused over zmq
  receiver_args.insert(receiver_args.end(), curve.begin(), curve.end());
  auto receiver = new_host(receiver_args, "dxvb" + tag, "169.254.77.2");
  CAF_REQUIRE(link_hosts(registry_node, receiver, tag));
  expect_line(registry_node, "READY " + registry);
  auto publisher = on_host_of(registry_node, "169.254.77.1", publisher_args);
  expect_line(publisher, "PUBLISHING");
  // Meanwhile, on the receiver's host, a node whose key is not on the list.
  auto stranger_key = dxhub::zmq::generate_keypair();
  CAF_REQUIRE(dxhub::zmq::save_keypair(at("c.key"), stranger_key));
  auto stranger_args = receiver_args;
  stranger_args[1] = "name=stranger";
  stranger_args[3] = "endpoint=tcp://169.254.77.2:7200"; // 7101: the receiver's frames
  stranger_args[5] = "secret=" + at("c.key");
  stranger_args.push_back("timeout_ms=3000");
  auto stranger = on_host_of(receiver, "169.254.77.2", stranger_args);
  CAF_CHECK_EQUAL(verdict(receiver), "RECEIVED 200 zmq");
  CAF_CHECK_EQUAL(verdict(stranger), "TIMEOUT"); // it got nothing
}

CAF_TEST_FIXTURE_SCOPE_END()
