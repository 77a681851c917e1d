// `dxhub write`, `read` and `relay`: raw frames straight through the
// shared-memory transport, for checking a machine, a channel or a consumer
// without writing an actor. The payload layout is in raw_frame.hpp.

#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/segment_name.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include "command.hpp"
#include "raw_frame.hpp"

#include <algorithm>
#include <memory>
#include <thread>

namespace dxhub::cli {

namespace {

/// What write, read and relay share: how many frames, how long they wait,
/// how they report.
struct run_options {
  uint64_t frames = 100;
  int64_t timeout_ms = 10000;
  bool json = false;
  bool progress = false;

  int64_t deadline_ns() const { return monotonic_ns() + timeout_ms * 1'000'000; }
};

struct write_options : run_options {
  std::string channel;
  uint64_t size = 1 << 20;
  std::string pattern = "counter";
  double delay_ms = 0;
  uint32_t wait_subscribers = 0;
  uint32_t chunks = shm::channel_options{}.chunk_count;
  bool checksum = false;
  bool keep = false;
};

struct read_options : run_options {
  std::string channel;
  std::string pattern = "counter";
  std::string policy = "reliable";
  uint32_t queue_depth = 16;
  uint32_t poll_ms = 0;
  bool verify = false;
  bool checksum = false;
};

struct relay_options : run_options {
  relay_options() { frames = 0; } // until idle
  std::string from;
  std::string to;
  uint32_t wait_subscribers = 0;
};

double seconds_since(int64_t start_ns) {
  return static_cast<double>(monotonic_ns() - start_ns) / 1e9;
}

/// Waits for the channel's segment to appear (the writer may start later).
expected<shm::subscriber> attach_when_there(const std::string& channel, const schema_id& want,
                                            const shm::subscriber_options& opts,
                                            int64_t deadline_ns) {
  while (true) {
    auto sub = shm::subscriber::attach(channel, want, opts);
    if (sub || sub.error().code != errc::segment_not_found || monotonic_ns() > deadline_ns)
      return sub;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

/// Attaches to a channel whatever its schema: reads it from the segment first.
expected<shm::subscriber> attach_any(const std::string& channel,
                                     const shm::subscriber_options& opts, int64_t deadline_ns);

/// Waits until `count` subscribers are attached to `pub`; false when the
/// deadline passed first.
bool wait_for_subscribers(shm::publisher& pub, uint32_t count, int64_t deadline_ns) {
  while (pub.subscriber_count() < count) {
    if (monotonic_ns() > deadline_ns)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
    pub.maintain();
  }
  return true;
}

/// Takes frames from `sub` while `more()` holds and `deadline_ns` (which
/// `on_frame` may move) has not passed, and says why it stopped: "done",
/// "timeout" or the error. A publisher that went away is waited for until
/// the deadline: it may restart.
template <class More, class OnFrame>
std::string take_frames(shm::subscriber& sub, const int64_t& deadline_ns, More more,
                        OnFrame on_frame) {
  while (more()) {
    auto left = deadline_ns - monotonic_ns();
    if (left <= 0)
      return "timeout";
    auto f = sub.take(std::chrono::nanoseconds{left});
    if (f)
      on_frame(f.value());
    else if (f.error().code != errc::publisher_gone)
      return f.error().what();
  }
  return "done";
}

int run_write(const write_options& o) {
  auto pattern = parse_raw_pattern(o.pattern);
  if (!pattern)
    return report("write", {errc::invalid_argument,
                            "unknown pattern '" + o.pattern + "' (counter, zeros, random)"});
  if (o.size < raw_frame_prefix)
    return report("write", {errc::invalid_argument,
                            "--size must be at least " + std::to_string(raw_frame_prefix)});
  shm::channel_options copts;
  copts.chunk_size = o.size;
  copts.chunk_count = o.chunks;
  copts.reliable_timeout = std::chrono::milliseconds{o.timeout_ms};
  auto pub = shm::publisher::open(o.channel, raw_bytes_schema(o.size), copts);
  if (!pub)
    return report("write", pub.error());
  if (!wait_for_subscribers(pub.value(), o.wait_subscribers, o.deadline_ns())) {
    if (!o.keep)
      (void)shm::remove_channel(o.channel);
    return report("write", {errc::timeout, std::to_string(o.wait_subscribers)
                                               + " subscribers did not come within "
                                               + std::to_string(o.timeout_ms) + " ms"});
  }
  progress_line progress{o.progress};
  uint64_t written = 0;
  uint64_t failures = 0;
  std::string last_failure;
  auto start = monotonic_ns();
  for (uint64_t i = 0; i < o.frames; ++i) {
    auto loan = pub.value().loan_chunk();
    if (!loan) {
      ++failures;
      last_failure = loan.error().what();
      continue;
    }
    loan.value().set_size(o.size);
    fill_raw_frame(loan.value().payload().first(o.size), i, *pattern, o.checksum);
    if (auto sent = pub.value().publish(std::move(loan.value())); sent) {
      ++written;
    } else {
      ++failures;
      last_failure = sent.error().what();
    }
    progress.update("write " + o.channel + ": " + std::to_string(written) + "/"
                    + std::to_string(o.frames) + " frames");
    if (o.delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>{o.delay_ms});
  }
  progress.done();
  double secs = seconds_since(start);
  // Let readers take the last frames before the segment goes.
  if (!o.keep) {
    (void)shm::remove_channel(o.channel);
  }
  nlohmann::json summary{{"channel", o.channel},
                         {"frames", written},
                         {"failures", failures},
                         {"last_failure", last_failure},
                         {"bytes", written * o.size},
                         {"seconds", secs},
                         {"mib_per_s", secs > 0 ? double(written * o.size) / secs / (1 << 20) : 0},
                         {"session", pub.value().session_id()}};
  if (o.json)
    print_json(summary);
  else
    std::cout << "wrote " << written << " frames of " << o.size << " bytes to " << o.channel
              << " in " << secs << " s (" << failures << " failures)" << std::endl;
  if (failures > 0) {
    std::cerr << "dxhub write: " << failures << " frames failed: " << last_failure << std::endl;
    return exit_failure;
  }
  return exit_ok;
}

int run_read(const read_options& o) {
  auto pattern = parse_raw_pattern(o.pattern);
  if (!pattern)
    return report("read", {errc::invalid_argument, "unknown pattern '" + o.pattern + "'"});
  shm::subscriber_options sopts;
  if (o.policy == "reliable")
    sopts.mode = shm::policy::reliable;
  else if (o.policy == "newest")
    sopts.mode = shm::policy::newest;
  else if (o.policy != "latest")
    return report("read", {errc::invalid_argument, "--policy must be 'latest', 'reliable' or "
                                                   "'newest', got '"
                                                       + o.policy + "'"});
  sopts.queue_depth = o.queue_depth;
  sopts.poll_period = std::chrono::milliseconds{o.poll_ms};
  auto deadline = o.deadline_ns();
  auto sub = attach_any(o.channel, sopts, deadline);
  if (!sub) {
    auto e = sub.error();
    if (e.code == errc::segment_not_found)
      e = {errc::unknown_channel, "no channel '" + o.channel + "' appeared within "
                                      + std::to_string(o.timeout_ms) + " ms"};
    return report("read", e);
  }
  progress_line progress{o.progress};
  uint64_t got = 0, bad_checksum = 0, bad_pattern = 0, gaps = 0, bytes = 0, sessions = 0;
  uint64_t last_seq = 0, session = 0;
  int64_t start = 0;
  auto stop_reason = take_frames(
      sub.value(), deadline, [&] { return got < o.frames; },
      [&](const auto& f) {
        if (got == 0)
          start = monotonic_ns();
        const auto& h = f.header();
        if (h.session != session) {
          session = h.session;
          ++sessions;
        } else if (h.sequence != last_seq + 1) {
          ++gaps;
        }
        last_seq = h.sequence;
        auto check = check_raw_frame(f.payload(), *pattern, o.verify, o.checksum);
        bad_checksum += check.checksum_failed ? 1 : 0;
        bad_pattern += check.pattern_failed ? 1 : 0;
        bytes += f.payload().size();
        ++got;
        progress.update("read " + o.channel + ": " + std::to_string(got) + "/"
                        + std::to_string(o.frames) + " frames, "
                        + std::to_string(bad_checksum + bad_pattern) + " bad");
      });
  progress.done();
  double secs = got > 0 ? seconds_since(start) : 0;
  uint64_t bad = bad_checksum + bad_pattern;
  nlohmann::json summary{{"channel", o.channel},
                         {"frames", got},
                         {"expected", o.frames},
                         {"bad_frames", bad},
                         {"checksum_failures", bad_checksum},
                         {"pattern_failures", bad_pattern},
                         {"gaps", gaps},
                         {"sessions", sessions},
                         {"dropped", sub.value().dropped()},
                         {"bytes", bytes},
                         {"seconds", secs},
                         {"mib_per_s", secs > 0 ? double(bytes) / secs / (1 << 20) : 0},
                         {"verified", o.verify},
                         {"checksummed", o.checksum},
                         {"stop", stop_reason}};
  if (o.json)
    print_json(summary);
  else
    std::cout << "read " << got << "/" << o.frames << " frames from " << o.channel << ", " << bad
              << " bad, " << gaps << " gaps, in " << secs << " s" << std::endl;
  if (bad > 0) {
    std::cerr << "dxhub read: " << bad << " bad frames (" << bad_checksum << " checksum, "
              << bad_pattern << " pattern)" << std::endl;
    return exit_failure;
  }
  if (got < o.frames) {
    std::cerr << "dxhub read: only " << got << " of " << o.frames << " frames (" << stop_reason
              << ")" << std::endl;
    return stop_reason == "timeout" ? exit_timeout : exit_failure;
  }
  return exit_ok;
}

int run_relay(const relay_options& o) {
  shm::subscriber_options sopts;
  sopts.mode = shm::policy::reliable;
  auto deadline = o.deadline_ns();
  auto sub = attach_any(o.from, sopts, deadline);
  if (!sub) {
    auto e = sub.error();
    if (e.code == errc::segment_not_found)
      e = {errc::unknown_channel, "no channel '" + o.from + "'"};
    return report("relay", e);
  }
  shm::channel_options copts;
  auto size = sub.value().schema().payload_size();
  if (!size)
    return report("relay", size.error());
  copts.chunk_size = std::max<uint64_t>(size.value(), 1);
  auto pub = shm::publisher::open(o.to, sub.value().schema(), copts);
  if (!pub)
    return report("relay", pub.error());
  // Frames wait in the source's reliable queue until the readers are there.
  if (!wait_for_subscribers(pub.value(), o.wait_subscribers, deadline))
    return report("relay",
                  {errc::timeout, std::to_string(o.wait_subscribers) + " subscriber(s) of '" + o.to
                                      + "' did not come within the timeout"});
  uint64_t forwarded = 0, failures = 0;
  auto stop_reason = take_frames(
      sub.value(), deadline, [&] { return o.frames == 0 || forwarded < o.frames; },
      [&](const auto& f) {
        if (auto sent = pub.value().publish_copy(f.payload(), f.header().meta); sent)
          ++forwarded;
        else
          ++failures;
        // Each forwarded frame extends the deadline: relay runs while frames flow.
        deadline = o.deadline_ns();
      });
  nlohmann::json summary{{"from", o.from},
                         {"to", o.to},
                         {"forwarded", forwarded},
                         {"failures", failures},
                         {"stop", stop_reason}};
  if (o.json)
    print_json(summary);
  else
    std::cout << "relayed " << forwarded << " frames from " << o.from << " to " << o.to
              << std::endl;
  if (failures > 0)
    return exit_failure;
  if (o.frames > 0 && forwarded < o.frames)
    return stop_reason == "timeout" ? exit_timeout : exit_failure;
  return exit_ok;
}

} // namespace

namespace {

expected<shm::subscriber> attach_any(const std::string& channel,
                                     const shm::subscriber_options& opts, int64_t deadline_ns) {
  // The segment names its schema; a mismatch error carries it, so ask for
  // the raw schema first and fall back to what the channel has.
  while (true) {
    auto info = shm::inspect(channel);
    if (info)
      return attach_when_there(channel, info.value().schema, opts, deadline_ns);
    if (info.error().code != errc::segment_not_found || monotonic_ns() > deadline_ns)
      return info.error();
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

} // namespace

namespace {

/// The options of every frame tool: --frames, --timeout-ms, --json-output
/// and, for those that show one, --progress.
void add_run_options(CLI::App* cmd, run_options& o, const std::string& frames_help,
                     const std::string& timeout_help, bool with_progress) {
  cmd->add_option("--frames", o.frames, frames_help)->capture_default_str();
  cmd->add_option("--timeout-ms", o.timeout_ms, timeout_help)->capture_default_str();
  cmd->add_flag("--json-output,--json", o.json, "print the summary as JSON");
  if (with_progress)
    cmd->add_flag("--progress", o.progress, "progress line even when stderr is no terminal");
}

} // namespace

void add_write(CLI::App& app, int& rc) {
  auto o = std::make_shared<write_options>();
  auto* cmd = app.add_subcommand("write", "publish raw frames on a channel (shared memory)");
  cmd->add_option("channel", o->channel, "channel name, e.g. lab/test/raw")->required();
  add_run_options(cmd, *o, "frames to write",
                  "wait for subscribers, and for a slow reliable reader", true);
  cmd->add_option("--size", o->size, "payload bytes per frame")->capture_default_str();
  cmd->add_option("--pattern", o->pattern, "counter | zeros | random")->capture_default_str();
  cmd->add_option("--delay-ms", o->delay_ms, "pause between frames")->capture_default_str();
  cmd->add_option("--wait-subscribers", o->wait_subscribers,
                  "start once this many subscribers are attached")
      ->capture_default_str();
  cmd->add_option("--chunks", o->chunks, "chunks in the channel's pool")->capture_default_str();
  cmd->add_flag("--checksum", o->checksum, "store a checksum in every frame");
  cmd->add_flag("--keep", o->keep, "leave the channel's segment behind at the end");
  cmd->callback([o, &rc] { rc = run_write(*o); });
}

void add_read(CLI::App& app, int& rc) {
  auto o = std::make_shared<read_options>();
  auto* cmd = app.add_subcommand("read", "take raw frames from a channel and check them");
  cmd->add_option("channel", o->channel, "channel name")->required();
  add_run_options(cmd, *o, "frames to read", "give up after this long", true);
  cmd->add_option("--pattern", o->pattern, "the writer's pattern (for --verify)")
      ->capture_default_str();
  cmd->add_option("--policy", o->policy,
                  "latest | reliable | newest (no queue: the newest frame at each look)")
      ->capture_default_str();
  cmd->add_option("--queue-depth", o->queue_depth, "frames queued for this reader")
      ->capture_default_str();
  cmd->add_option("--poll-ms", o->poll_ms,
                  "look for frames this often instead of being woken by the publisher "
                  "(a display's way: the publisher then wakes nobody); 0: be woken")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_flag("--verify", o->verify, "compare every byte with the pattern");
  cmd->add_flag("--checksum", o->checksum, "recompute every frame's checksum");
  cmd->callback([o, &rc] { rc = run_read(*o); });
}

void add_relay(CLI::App& app, int& rc) {
  auto o = std::make_shared<relay_options>();
  auto* cmd = app.add_subcommand("relay", "forward the frames of one channel to another");
  cmd->add_option("from", o->from, "source channel")->required();
  cmd->add_option("to", o->to, "destination channel")->required();
  add_run_options(cmd, *o, "stop after this many frames (0: until idle)",
                  "stop after this long without a frame", false);
  cmd->add_option("--wait-subscribers", o->wait_subscribers,
                  "forward only once this many readers subscribed to TO")
      ->capture_default_str();
  cmd->callback([o, &rc] { rc = run_relay(*o); });
}

} // namespace dxhub::cli
