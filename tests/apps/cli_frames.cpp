#define CAF_SUITE apps.cli_frames
#include "dxhub/tests/apps/cli.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <thread>

using namespace dxhub::test;
using namespace std::chrono_literals;

namespace {

/// `dxhub inspect CHANNEL --json` once the channel has a subscriber and more
/// than `published` frames (or its last answer after 30 s).
cli_result inspect_flowing(cli_fixture& cli, const std::string& channel, uint64_t published) {
  cli_result inspected;
  wait_until(
      [&] {
        inspected = cli.run({"inspect", channel, "--json"});
        return inspected.code == 0 && !inspected.json()["subscribers"].empty()
               && inspected.json()["publisher"]["sequence"].get<uint64_t>() > published;
      },
      30s, 50ms);
  return inspected;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cli_frames_tests, cli_fixture)

CAF_TEST(write_and_read_move_10000_frames_of_1_mib_without_a_bad_frame) {
  auto channel = "test/" + unique_name("bulk");
  auto read_err = (dir / "read.err").string();
  auto reader = start({"read", channel, "--frames", "10000", "--verify", "--checksum",
                       "--json-output", "--timeout-ms", "240000"},
                      read_err);
  auto writer = run({"write", channel, "--frames", "10000", "--size", "1048576", "--checksum",
                     "--wait-subscribers", "1", "--json-output", "--timeout-ms", "60000"},
                    250s);
  CAF_CHECK_EQUAL(writer.code, 0);
  auto wrote = writer.json();
  CAF_MESSAGE("write: " << wrote.dump());
  CAF_CHECK_EQUAL(wrote["frames"].get<uint64_t>(), 10000u);
  CAF_CHECK_EQUAL(wrote["failures"].get<uint64_t>(), 0u);
  auto read = finish(reader, read_err, 250s);
  CAF_CHECK_EQUAL(read.code, 0);
  auto got = read.json();
  CAF_MESSAGE("read: " << got.dump());
  CAF_CHECK_EQUAL(got["frames"].get<uint64_t>(), 10000u);
  CAF_CHECK_EQUAL(got["bad_frames"].get<uint64_t>(), 0u);
  CAF_CHECK_EQUAL(got["gaps"].get<uint64_t>(), 0u);
  CAF_CHECK_EQUAL(got["bytes"].get<uint64_t>(), uint64_t{10000} * 1048576u);
  CAF_CHECK(got["verified"].get<bool>());
  CAF_CHECK(got["checksummed"].get<bool>());
}

CAF_TEST(relay_forwards_every_frame_between_two_channels) {
  auto from = "test/" + unique_name("from");
  auto to = "test/" + unique_name("to");
  auto read_err = (dir / "read.err").string();
  auto relay_err = (dir / "relay.err").string();
  auto reader = start({"read", to, "--frames", "300", "--pattern", "random", "--verify",
                       "--checksum", "--json", "--timeout-ms", "60000"},
                      read_err);
  auto relay = start({"relay", from, to, "--frames", "300", "--wait-subscribers", "1", "--json",
                      "--timeout-ms", "60000"},
                     relay_err);
  auto writer = run({"write", from, "--frames", "300", "--size", "65536", "--pattern", "random",
                     "--checksum", "--wait-subscribers", "1", "--json", "--timeout-ms", "60000"});
  CAF_CHECK_EQUAL(writer.code, 0);
  auto relayed = finish(relay, relay_err, 90s);
  CAF_CHECK_EQUAL(relayed.code, 0);
  CAF_CHECK_EQUAL(relayed.json()["forwarded"].get<uint64_t>(), 300u);
  auto read = finish(reader, read_err, 90s);
  CAF_CHECK_EQUAL(read.code, 0);
  auto got = read.json();
  CAF_CHECK_EQUAL(got["frames"].get<uint64_t>(), 300u);
  CAF_CHECK_EQUAL(got["bad_frames"].get<uint64_t>(), 0u);
}

CAF_TEST(read_with_the_wrong_pattern_reports_bad_frames) {
  auto channel = "test/" + unique_name("wrong");
  auto read_err = (dir / "read.err").string();
  auto reader = start({"read", channel, "--frames", "20", "--verify", "--pattern", "zeros",
                       "--json", "--timeout-ms", "30000"},
                      read_err);
  auto writer = run({"write", channel, "--frames", "20", "--size", "4096", "--wait-subscribers",
                     "1", "--json", "--timeout-ms", "30000"});
  CAF_CHECK_EQUAL(writer.code, 0);
  auto read = finish(reader, read_err, 60s);
  CAF_CHECK_EQUAL(read.code, 1);
  CAF_CHECK_EQUAL(read.json()["bad_frames"].get<uint64_t>(), 20u);
  CAF_CHECK(read.err.find("bad frames") != std::string::npos);
}

CAF_TEST(a_polling_reader_gets_every_frame_and_is_never_woken) {
  auto channel = "test/" + unique_name("poll");
  auto write_err = (dir / "write.err").string();
  auto read_err = (dir / "read.err").string();
  auto reader = start({"read", channel, "--frames", "40", "--poll-ms", "5", "--verify", "--json",
                       "--timeout-ms", "60000"},
                      read_err);
  auto writer = start({"write", channel, "--frames", "40", "--size", "1024", "--delay-ms", "20",
                       "--wait-subscribers", "1", "--json", "--timeout-ms", "60000"},
                      write_err);
  auto inspected = inspect_flowing(*this, channel, 5);
  CAF_REQUIRE_EQUAL(inspected.code, 0);
  auto info = inspected.json();
  CAF_REQUIRE_EQUAL(info["subscribers"].size(), 1u);
  CAF_CHECK(info["subscribers"][0]["never_sleeps"].get<bool>());
  CAF_CHECK_EQUAL(info["subscribers"][0]["wakeups"].get<uint64_t>(), 0u);
  CAF_CHECK_EQUAL(finish(writer, write_err, 60s).code, 0);
  auto read = finish(reader, read_err, 60s);
  CAF_CHECK_EQUAL(read.code, 0);
  CAF_CHECK_EQUAL(read.json()["frames"].get<uint64_t>(), 40u);
  CAF_CHECK_EQUAL(read.json()["bad_frames"].get<uint64_t>(), 0u);
  // A period beyond a second is refused before anything is attached.
  auto refused = run({"read", channel, "--poll-ms", "5000"});
  CAF_CHECK_NOT_EQUAL(refused.code, 0);
  CAF_CHECK(refused.err.find("poll-ms") != std::string::npos);
}

CAF_TEST(inspect_and_ls_show_a_live_channel_with_its_subscriber) {
  auto channel = "test/" + unique_name("live");
  auto write_err = (dir / "write.err").string();
  auto read_err = (dir / "read.err").string();
  auto reader = start(
      {"read", channel, "--frames", "100", "--policy", "latest", "--json", "--timeout-ms", "60000"},
      read_err);
  auto writer = start({"write", channel, "--frames", "100", "--size", "1024", "--delay-ms", "50",
                       "--wait-subscribers", "1", "--json", "--timeout-ms", "60000"},
                      write_err);
  // Inspect while frames flow.
  auto inspected = inspect_flowing(*this, channel, 0);
  CAF_REQUIRE_EQUAL(inspected.code, 0);
  auto info = inspected.json();
  CAF_CHECK_EQUAL(info["channel"].get<std::string>(), channel);
  CAF_CHECK(info["publisher"]["alive"].get<bool>());
  CAF_CHECK(info["publisher"]["pid"].get<int>() == static_cast<int>(writer.pid())
            || info["publisher"]["pid"].get<int>() > 0);
  CAF_CHECK(info["chunk_count"].get<uint32_t>() > 0u);
  CAF_REQUIRE_EQUAL(info["subscribers"].size(), 1u);
  auto sub = info["subscribers"][0];
  CAF_CHECK(sub["alive"].get<bool>());
  CAF_CHECK_EQUAL(sub["policy"].get<std::string>(), "latest");
  CAF_CHECK(sub.contains("queued") && sub.contains("dropped") && sub.contains("heartbeat_age_ms"));
  CAF_CHECK(sub.contains("never_sleeps") && sub.contains("wakeups"));
  // The table says it too: a sleeping reader's wake-ups, counted by the publisher.
  auto table = run({"inspect", channel});
  CAF_CHECK_EQUAL(table.code, 0);
  CAF_CHECK(table.out.find("wakeups") != std::string::npos);
  auto listed = run({"ls", "channels", "--json"});
  CAF_CHECK_EQUAL(listed.code, 0);
  bool found = false;
  auto listing = listed.json(); // kept: a loop over a temporary's member dangles
  for (const auto& c : listing["channels"])
    if (c["channel"] == channel) {
      found = true;
      CAF_CHECK_EQUAL(c["subscribers"].get<std::size_t>(), 1u);
    }
  if (!found)
    CAF_FAIL("ls channels did not list " << channel << ": " << listed.out << listed.err);
  auto subs = run({"ls", "subscribers", "--json"});
  CAF_CHECK_EQUAL(subs.code, 0);
  CAF_CHECK_EQUAL(subs.json()["subscribers"].size(), 1u);
  auto wrote = finish(writer, write_err, 60s);
  CAF_CHECK_EQUAL(wrote.code, 0);
  auto read = finish(reader, read_err, 60s);
  CAF_CHECK_EQUAL(read.code, 0);
}

CAF_TEST(keygen_writes_a_key_pair_with_safe_modes) {
  auto keys = (dir / "keys").string();
  auto made = run({"keygen", keys, "--name", "camera", "--json"});
  CAF_REQUIRE_EQUAL(made.code, 0);
  auto doc = made.json();
  CAF_CHECK_EQUAL(doc["public_key"].get<std::string>().size(), 40u);
  struct stat st {};
  CAF_REQUIRE(::stat(doc["secret_file"].get<std::string>().c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  CAF_CHECK(std::filesystem::exists(doc["public_file"].get<std::string>()));
  auto again = run({"keygen", keys, "--name", "camera"});
  CAF_CHECK(again.code != 0);
  CAF_CHECK(again.err.find("exists") != std::string::npos);
  CAF_CHECK_EQUAL(run({"keygen", keys, "--name", "camera", "--force", "--json"}).code, 0);
}

CAF_TEST(keygen_makes_every_key_of_a_deployment_and_its_allow_list) {
  // Three nodes, two of which share a key file; the registry is embedded.
  auto file = dir / "secure.toml";
  std::ofstream{file} << "[deployment]\nname = \"secure\"\n\n"
                         "[security]\nkey_dir = \"keys\"\nkeys = { b = \"shared.key\", c = "
                         "\"shared.key\" }\n\n"
                         "[[nodes]]\nname = \"a\"\n\n[[nodes]]\nname = \"b\"\n\n"
                         "[[nodes]]\nname = \"c\"\n";
  auto read_text_file = [](const std::filesystem::path& path) {
    std::string text;
    for (const auto& line : read_lines(path))
      text += line + "\n";
    return text;
  };
  auto made = run({"keygen", "--deployment", file.string(), "--json"});
  CAF_REQUIRE_EQUAL(made.code, 0);
  auto doc = made.json();
  CAF_MESSAGE("keygen: " << doc.dump());
  auto keys = dir / "keys";
  CAF_CHECK_EQUAL(doc["allow_file"].get<std::string>(), (keys / "allowed.keys").string());
  CAF_REQUIRE_EQUAL(doc["keys"].size(), 3u);
  std::map<std::string, std::string> public_keys; // secret file -> public key
  for (const auto& k : doc["keys"])
    public_keys[k["secret_file"].get<std::string>()] = k["public_key"].get<std::string>();
  for (auto name : {"a.key", "shared.key", "registry.key"}) {
    auto secret = (keys / name).string();
    CAF_REQUIRE(public_keys.count(secret) == 1);
    struct stat st {};
    CAF_REQUIRE(::stat(secret.c_str(), &st) == 0);
    CAF_CHECK_EQUAL(st.st_mode & 0777, 0600u);
    CAF_REQUIRE(::stat((secret + ".pub").c_str(), &st) == 0);
    CAF_CHECK_EQUAL(st.st_mode & 0777, 0644u);
    // The public file holds the key the allow-list lists.
    CAF_CHECK(read_text_file(secret + ".pub").find(public_keys[secret]) != std::string::npos);
  }
  CAF_CHECK(!std::filesystem::exists(keys / "b.key"));
  // The allow-list: every public key, one a line ('#' lines say whose).
  std::vector<std::string> listed;
  {
    std::ifstream in{keys / "allowed.keys"};
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#')
        listed.push_back(line);
  }
  CAF_CHECK_EQUAL(listed.size(), 3u);
  for (const auto& [secret, key] : public_keys)
    CAF_CHECK(std::find(listed.begin(), listed.end(), key) != listed.end());
  // Existing keys are kept unless --force; then every key is new.
  auto again = run({"keygen", "--deployment", file.string()});
  CAF_CHECK_EQUAL(again.code, 1);
  CAF_CHECK(again.err.find("exists (--force") != std::string::npos);
  CAF_CHECK(read_text_file(keys / "a.key.pub").find(public_keys[(keys / "a.key").string()])
            != std::string::npos);
  auto forced = run({"keygen", "--deployment", file.string(), "--force", "--json"});
  CAF_REQUIRE_EQUAL(forced.code, 0);
  auto forced_keys = forced.json()["keys"]; // a copy: json() returns a temporary
  for (const auto& k : forced_keys)
    CAF_CHECK_NOT_EQUAL(k["public_key"].get<std::string>(),
                        public_keys[k["secret_file"].get<std::string>()]);
  // A deployment without [security] names no keys; a directory and a
  // deployment together are ambiguous.
  auto plain = dir / "plain.toml";
  std::ofstream{plain} << "[deployment]\nname = \"plain\"\n\n[[nodes]]\nname = \"a\"\n";
  auto none = run({"keygen", "--deployment", plain.string()});
  CAF_CHECK_EQUAL(none.code, 2);
  CAF_CHECK(none.err.find("no [security] table") != std::string::npos);
  auto both = run({"keygen", keys.string(), "--deployment", file.string()});
  CAF_CHECK_EQUAL(both.code, 2);
  CAF_CHECK(both.err.find("not both") != std::string::npos);
}

CAF_TEST(errors_give_a_clear_message_and_a_nonzero_exit_code) {
  auto check = [&](const std::vector<std::string>& args, int code, const std::string& mention) {
    auto r = run(args);
    CAF_CHECK_EQUAL(r.code, code);
    CAF_MESSAGE(args[0] << " -> " << r.code << ": " << r.err);
    if (!mention.empty())
      CAF_CHECK(r.err.find(mention) != std::string::npos);
  };
  check({"inspect", "test/no/such/channel"}, 3, "test/no/such/channel");
  check({"inspect", "test/no/such/channel", "--json"}, 3, "no channel");
  check({"read", "test/nothing/here", "--frames", "1", "--timeout-ms", "300"}, 3, "test/nothing");
  check({"write", "test/x", "--size", "4"}, 2, "--size");
  check({"write", "test/x", "--pattern", "plaid"}, 2, "plaid");
  check({"write", "bad//name", "--frames", "1"}, 2, "");
  check({"read", "test/x", "--policy", "sometimes"}, 2, "sometimes");
  check({"send", "lab/cam0", "start"}, 4, "registry");
  check({"send", "lab//cam0", "start"}, 2, "");
  check({"send", "lab/cam0", "start", "--arg", "novalue"}, 2, "key=value");
  check({"ls", "services"}, 4, "registry");
  check({"ls", "planets"}, 2, "planets");
  check({"tail", "lab"}, 4, "registry");
  check({"tail", "--log", (dir / "missing.jsonl").string()}, 3, "missing.jsonl");
  check({"run", (dir / "missing.toml").string()}, 2, "");
  check({"frobnicate"}, 2, "");
  check({"write"}, 2, "channel");
  check({"registry", "--endpoint", "bogus://nowhere", "--duration", "1"}, 2, "bogus://nowhere");
}

CAF_TEST(every_command_has_help) {
  for (auto cmd : {"run", "registry", "ls", "inspect", "send", "tail", "write", "read", "relay",
                   "keygen", "bench"}) {
    auto r = run({cmd, "--help"});
    CAF_CHECK_EQUAL(r.code, 0);
    CAF_CHECK(r.out.find("Usage") != std::string::npos || r.out.find("USAGE") != std::string::npos);
  }
  auto top = run({"--help"});
  CAF_CHECK_EQUAL(top.code, 0);
  CAF_CHECK(top.out.find("inspect") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
