#define CAF_SUITE runtime.placements
#include "dxhub/tests/support/caf_test.hpp"

// One test body (stream_peer's receiver: every frame intact and in order),
// three placements of publisher and subscriber: one process, two processes
// on one host, two "hosts" - network namespaces joined by a veth pair, each
// with its own /dev/shm, distinct host ids, tcp with CURVE. Each placement
// asserts the transport that carried the frames.

#include "dxhub/tests/support/child_process.hpp"
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

/// Two network namespaces joined by a veth pair (169.254.77.1 and .2).
struct two_hosts {
  std::string a, b, veth_a, veth_b;
  bool ready = false;

  explicit two_hosts(const std::string& tag)
    : a("dxa" + tag), b("dxb" + tag), veth_a("dxva" + tag), veth_b("dxvb" + tag) {
    remove_stale();
    auto run = [](const std::string& cmd) { return std::system((cmd + " 2>&1").c_str()) == 0; };
    ready = run("ip netns add " + a) && run("ip netns add " + b)
            && run("ip link add " + veth_a + " type veth peer name " + veth_b)
            && run("ip link set " + veth_a + " netns " + a)
            && run("ip link set " + veth_b + " netns " + b)
            && run("ip -n " + a + " addr add 169.254.77.1/24 dev " + veth_a)
            && run("ip -n " + b + " addr add 169.254.77.2/24 dev " + veth_b)
            && run("ip -n " + a + " link set " + veth_a + " up")
            && run("ip -n " + b + " link set " + veth_b + " up")
            && run("ip -n " + a + " link set lo up") && run("ip -n " + b + " link set lo up");
  }

  ~two_hosts() {
    // Deleting a namespace deletes its end of the veth pair, and so the pair.
    (void)std::system(("ip netns del " + a + " >/dev/null 2>&1").c_str());
    (void)std::system(("ip netns del " + b + " >/dev/null 2>&1").c_str());
  }

  /// Namespaces of earlier runs that died before removing theirs.
  static void remove_stale() {
    std::error_code ignored;
    for (const auto& e : std::filesystem::directory_iterator{"/run/netns", ignored}) {
      auto name = e.path().filename().string();
      if (name.size() < 4 || (name.rfind("dxa", 0) != 0 && name.rfind("dxb", 0) != 0))
        continue;
      auto pid = std::strtol(name.c_str() + 3, nullptr, 10);
      if (pid > 0 && !std::filesystem::exists("/proc/" + std::to_string(pid)))
        (void)std::system(("ip netns del " + name + " >/dev/null 2>&1").c_str());
    }
  }

  /// A command line running `argv` on host `ns` with a /dev/shm of its own.
  static std::vector<std::string> on(const std::string& ns, std::vector<std::string> argv) {
    std::vector<std::string> cmd{"/usr/bin/env", // finds ip on PATH (/sbin or /usr/sbin)
                                 "ip",
                                 "netns",
                                 "exec",
                                 ns,
                                 "unshare",
                                 "--mount",
                                 "--propagation",
                                 "private",
                                 "sh",
                                 "-c",
                                 "mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec \"$@\"",
                                 "sh"};
    cmd.insert(cmd.end(), argv.begin(), argv.end());
    return cmd;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(placement_tests, placement_fixture)

CAF_TEST(one_process_frames_are_handed_over_in_process) {
  child_process both{{peer(), "networked=0", "shared_memory=0", "publish=lab/one/raw",
                      "receive=lab/one/raw", "count=200"}};
  CAF_CHECK_EQUAL(verdict(both), "RECEIVED 200 in_process");
}

CAF_TEST(two_processes_on_one_host_share_memory) {
  auto registry = "ipc://" + at("pub.node");
  child_process publisher{{peer(), "name=pub", "endpoint=" + registry, "registry=" + registry,
                           "host_registry=1", "dir=" + dir.string(), "publish=lab/two/raw"}};
  expect_line(publisher, "PUBLISHING");
  child_process receiver{{peer(), "name=sub", "registry=" + registry, "dir=" + dir.string(),
                          "receive=lab/two/raw", "count=200"}};
  CAF_CHECK_EQUAL(verdict(receiver), "RECEIVED 200 shm");
}

CAF_TEST(two_hosts_send_frames_over_tcp_with_curve) {
  if (geteuid() != 0
      || std::system("command -v ip >/dev/null && command -v unshare >/dev/null") != 0) {
    CAF_FAIL("needs root, iproute2 and unshare (the README's test command runs as root)");
  }
  two_hosts hosts{tag};
  CAF_REQUIRE(hosts.ready);
  // Each host its key pair; each lets the other in.
  auto key_a = dxhub::zmq::generate_keypair();
  auto key_b = dxhub::zmq::generate_keypair();
  CAF_REQUIRE(dxhub::zmq::save_keypair(at("a.key"), key_a));
  CAF_REQUIRE(dxhub::zmq::save_keypair(at("b.key"), key_b));
  std::ofstream{at("allowed")} << key_a.public_key << "\n" << key_b.public_key << "\n";
  const std::string registry = "tcp://169.254.77.1:7100";
  std::vector<std::string> curve{"allow_remote=1", "allow=" + at("allowed"),
                                 "registry_pub=" + at("a.key.pub")};
  auto publisher_args = std::vector<std::string>{peer(),
                                                 "name=pub",
                                                 "host=host-a",
                                                 "endpoint=" + registry,
                                                 "registry=" + registry,
                                                 "host_registry=1",
                                                 "secret=" + at("a.key"),
                                                 "publish=lab/far/raw"};
  publisher_args.insert(publisher_args.end(), curve.begin(), curve.end());
  child_process publisher{two_hosts::on(hosts.a, publisher_args)};
  expect_line(publisher, "PUBLISHING");
  auto receiver_args = std::vector<std::string>{peer(),
                                                "name=sub",
                                                "host=host-b",
                                                "endpoint=tcp://169.254.77.2:7100",
                                                "registry=" + registry,
                                                "secret=" + at("b.key"),
                                                "receive=lab/far/raw",
                                                "count=200"};
  receiver_args.insert(receiver_args.end(), curve.begin(), curve.end());
  child_process receiver{two_hosts::on(hosts.b, receiver_args)};
  CAF_CHECK_EQUAL(verdict(receiver), "RECEIVED 200 zmq");
  // A node whose key is not on the list gets nothing.
  auto stranger_key = dxhub::zmq::generate_keypair();
  CAF_REQUIRE(dxhub::zmq::save_keypair(at("c.key"), stranger_key));
  auto stranger_args = receiver_args;
  stranger_args[1] = "name=stranger";
  stranger_args[3] = "endpoint=tcp://169.254.77.2:7101";
  stranger_args[5] = "secret=" + at("c.key");
  stranger_args.push_back("timeout_ms=3000");
  child_process stranger{two_hosts::on(hosts.b, stranger_args)};
  CAF_CHECK_EQUAL(verdict(stranger), "TIMEOUT");
}

CAF_TEST_FIXTURE_SCOPE_END()
