// dxhub-bench-recording: what recording costs (issue 23, acceptance 2).
//   - sustained recording rate of frames of 64 KiB, 1 MiB and 8 MiB into an
//     HDF5 run file (recording_writer, committed every 100 ms as the
//     recorder's thread does), next to a raw sequential write(2) of the same
//     bytes to a file in the same directory, in the same run; both end with
//     fdatasync, so the figures include getting the bytes to the disk;
//   - a publisher of 2 MiB frames at 100 frames/s (60 s; --quick 5 s), alone
//     and with the stock recorder subscribed (policy latest, as deployed):
//     its rate, the time of each loan + fill + publish, and the frames the
//     recording lost (read back from the file).
// --dir picks the file system (default: the temporary directory).

#include "dxhub/actors/recorder.hpp"
#include "dxhub/actors/recording.hpp"
#include "dxhub/actors/recording_reader.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using dxhub::bench::report;
using dxhub::bench::size_label;
namespace fs = std::filesystem;

namespace {

struct settings {
  bool quick = false;
  bool results = false;
  std::string dir;
};

/// Bytes written per size: enough to leave the page cache's first gulp behind.
uint64_t volume(const settings& s, std::size_t bytes) {
  uint64_t total = s.quick ? (uint64_t{128} << 20) : (uint64_t{512} << 20);
  return std::max<uint64_t>(total / bytes, 16) * bytes;
}

bool sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return false;
  bool ok = ::fdatasync(fd) == 0;
  ::close(fd);
  return ok;
}

/// Frames per second of write(2) of `frames` frames of `bytes` bytes.
double raw_write(const std::string& path, std::size_t bytes, uint64_t frames) {
  std::vector<std::byte> frame(bytes, std::byte{0x5a});
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    return -1;
  auto start = dxhub::monotonic_ns();
  for (uint64_t i = 0; i < frames; ++i) {
    std::memcpy(frame.data(), &i, sizeof i);
    std::size_t done = 0;
    while (done < bytes) {
      auto n = ::write(fd, frame.data() + done, bytes - done);
      if (n <= 0) {
        ::close(fd);
        return -1;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  ::fdatasync(fd);
  auto secs = static_cast<double>(dxhub::monotonic_ns() - start) / 1e9;
  ::close(fd);
  fs::remove(path);
  return static_cast<double>(frames) / secs;
}

/// Frames per second of an HDF5 recording of the same frames.
double hdf5_write(const std::string& path, std::size_t bytes, uint64_t frames) {
  dxhub::actors::recording_options opts;
  opts.path = path;
  opts.live_after = std::chrono::milliseconds{0};
  auto schema = dxhub::raw_bytes_schema(bytes);
  std::vector<std::byte> frame(bytes, std::byte{0x5a});
  auto start = dxhub::monotonic_ns();
  auto w = dxhub::actors::recording_writer::create(opts);
  if (!w) {
    std::fprintf(stderr, "recording: %s\n", w.error().what().c_str());
    return -1;
  }
  dxhub::frame_header h;
  h.session = 1;
  auto last_commit = start;
  for (uint64_t i = 0; i < frames; ++i) {
    std::memcpy(frame.data(), &i, sizeof i);
    h.sequence = i;
    h.monotonic_ns = dxhub::monotonic_ns();
    if (auto done = w.value().write("bench/raw", schema, h, frame, dxhub::wall_ns()); !done) {
      std::fprintf(stderr, "recording: %s\n", done.error().what().c_str());
      return -1;
    }
    if (h.monotonic_ns - last_commit > 100'000'000) {
      (void)w.value().commit();
      last_commit = h.monotonic_ns;
    }
  }
  if (auto closed = w.value().close("bench"); !closed) {
    std::fprintf(stderr, "recording: %s\n", closed.error().what().c_str());
    return -1;
  }
  sync_file(path);
  auto secs = static_cast<double>(dxhub::monotonic_ns() - start) / 1e9;
  fs::remove(path);
  return static_cast<double>(frames) / secs;
}

/// A publisher at a steady rate, as a camera is, with or without a recorder.
struct paced_run {
  double frames_per_s = 0;
  std::vector<double> publish_ns; // loan + fill + publish, per frame
  uint64_t published = 0;
  uint64_t recorded = 0;
  uint64_t lost = 0; // frames the recorder should have written but did not
  bool ok = false;
};

/// Counts the frames of `channel` in the recording and those it missed from
/// its first frame up to `last_sequence` (gaps within the run and at its end).
bool count_recorded(const std::string& path, const std::string& channel, uint64_t last_sequence,
                    paced_run& run) {
  auto reader = dxhub::actors::recording_reader::open(path);
  if (!reader) {
    std::fprintf(stderr, "recording: %s\n", reader.error().what().c_str());
    return false;
  }
  auto index = reader.value().find(channel);
  if (!index)
    return false;
  run.recorded = reader.value().channels()[index.value()].frames;
  if (run.recorded == 0)
    return false;
  auto first = reader.value().header(index.value(), 0);
  if (!first)
    return false;
  auto expected_frames = last_sequence - first.value().header.sequence + 1;
  run.lost = expected_frames > run.recorded ? expected_frames - run.recorded : 0;
  return true;
}

/// Publishes `bytes`-byte frames, each filled, at `rate` frames/s for
/// `seconds`; with a recorder of the channel writing to `path` when it is not
/// empty (the stock recorder, policy latest, as a deployment has it).
paced_run paced_publisher(std::size_t bytes, double rate, double seconds, const std::string& path) {
  paced_run run;
  dxhub::runtime::node_config cfg;
  caf::actor_system sys{cfg};
  dxhub::runtime::node_options opts;
  opts.name = "bench-recording";
  opts.networked = false;
  dxhub::runtime::node n{sys, opts};
  const std::string channel = "bench/rec/paced" + std::to_string(::getpid());
  auto pub = dxhub::runtime::publish(n, channel, dxhub::raw_bytes_schema(bytes));
  if (!pub)
    return run;
  caf::actor rec;
  auto period = static_cast<int64_t>(1e9 / rate);
  uint64_t sequence = 0;
  auto send_one = [&](uint64_t i) -> std::optional<dxhub::runtime::publish_report> {
    auto loan = pub.value().loan();
    if (!loan)
      return std::nullopt;
    auto payload = loan.value().payload();
    std::memset(payload.data(), static_cast<int>(i & 0xff), payload.size());
    std::memcpy(payload.data(), &i, sizeof i);
    auto sent = pub.value().publish(std::move(loan.value()));
    if (!sent)
      return std::nullopt;
    sequence = sent.value().sequence;
    return sent.value();
  };
  if (!path.empty()) {
    dxhub::actors::recorder_config rc;
    rc.name = "bench-recorder";
    rc.service = "bench-recorder";
    rc.channels = {channel};
    rc.path = path;
    rc.audit = false;
    rec = dxhub::actors::spawn_recorder(sys, rc);
    // At the same rate until the recorder is attached.
    auto until = dxhub::monotonic_ns() + 5'000'000'000;
    for (uint64_t i = 0; dxhub::monotonic_ns() < until; ++i) {
      auto sent = send_one(i);
      if (sent && sent->local_subscribers > 0)
        break;
      std::this_thread::sleep_for(std::chrono::nanoseconds{period});
    }
  }
  auto frames = static_cast<uint64_t>(rate * seconds);
  run.publish_ns.reserve(frames);
  auto start = dxhub::monotonic_ns();
  for (uint64_t i = 0; i < frames; ++i) {
    auto due = start + static_cast<int64_t>(i) * period;
    while (dxhub::monotonic_ns() < due)
      std::this_thread::sleep_for(std::chrono::nanoseconds{due - dxhub::monotonic_ns()});
    auto t0 = dxhub::monotonic_ns();
    if (send_one(i)) {
      ++run.published;
      run.publish_ns.push_back(static_cast<double>(dxhub::monotonic_ns() - t0));
    }
  }
  auto secs = static_cast<double>(dxhub::monotonic_ns() - start) / 1e9;
  run.frames_per_s = static_cast<double>(run.published) / secs;
  run.ok = run.published > 0;
  if (rec) {
    // What the recorder has queued is written when it stops; a second lets
    // its subscription hand over the last frames first.
    std::this_thread::sleep_for(std::chrono::seconds{1});
    caf::scoped_actor self{sys};
    self->send_exit(rec, caf::exit_reason::user_shutdown);
    self->wait_for(rec);
    run.ok = count_recorded(path, channel, sequence, run);
    fs::remove(path);
  }
  n.shutdown();
  // The segment outlives its publisher (a restarted one picks it up): this
  // channel's name is the run's own, so nobody will.
  (void)dxhub::shm::remove_channel(channel);
  return run;
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"dxhub-bench-recording: HDF5 recording against raw write(2)"};
  app.add_flag("--quick", s.quick, "smaller volumes");
  app.add_flag("--results", s.results, "print RESULT lines");
  app.add_option("--dir", s.dir, "directory of the files (default: the temporary directory)");
  CLI11_PARSE(app, argc, argv);
  if (s.dir.empty())
    s.dir = fs::temp_directory_path().string();
  auto base = s.dir + "/dxhub-bench-recording-" + std::to_string(::getpid());
  report r{"recording (" + s.dir + ")"};
  bool ok = true;
  for (std::size_t bytes : {std::size_t{64} << 10, std::size_t{1} << 20, std::size_t{8} << 20}) {
    auto frames = volume(s, bytes) / bytes;
    auto raw = raw_write(base + ".raw", bytes, frames);
    auto h5 = hdf5_write(base + ".h5", bytes, frames);
    std::fprintf(stderr, "  %s: raw %.0f frames/s, hdf5 %.0f frames/s\n", size_label(bytes).c_str(),
                 raw, h5);
    if (raw <= 0 || h5 <= 0) {
      ok = false;
      continue;
    }
    r.add_throughput("raw_write", "block", bytes, raw);
    r.add_throughput("hdf5_recording", "block", bytes, h5);
    r.add_ratio("hdf5_recording / raw_write " + size_label(bytes), h5 / raw,
                bytes >= (std::size_t{1} << 20) ? ">= 0.8" : "");
  }
  // The goal: 100 frames/s of 2 MiB for 60 s, nothing lost, the
  // publisher slowed < 5 %.
  const std::size_t pub_bytes = std::size_t{2} << 20;
  const double pub_rate = 100;
  const double pub_seconds = s.quick ? 5 : 60;
  std::fprintf(stderr, "  publisher at %.0f frames/s of %s for %.0f s, alone ...\n", pub_rate,
               size_label(pub_bytes).c_str(), pub_seconds);
  auto alone = paced_publisher(pub_bytes, pub_rate, pub_seconds, "");
  std::fprintf(stderr, "  ... and recorded\n");
  auto recorded = paced_publisher(pub_bytes, pub_rate, pub_seconds, base + ".pub.h5");
  if (alone.ok && recorded.ok) {
    std::fprintf(stderr,
                 "  publisher: alone %.1f frames/s, recorded %.1f frames/s; %llu frames in "
                 "the file (%llu timed, the rest while it attached), %llu lost\n",
                 alone.frames_per_s, recorded.frames_per_s,
                 static_cast<unsigned long long>(recorded.recorded),
                 static_cast<unsigned long long>(recorded.published),
                 static_cast<unsigned long long>(recorded.lost));
    r.add_throughput("paced_publisher_alone", "block", pub_bytes, alone.frames_per_s);
    r.add_throughput("paced_publisher_recorded", "block", pub_bytes, recorded.frames_per_s);
    auto p50_alone = dxhub::bench::summarize(alone.publish_ns).p50;
    auto p50_recorded = dxhub::bench::summarize(recorded.publish_ns).p50;
    r.add_latency("paced_publish_alone", "block", pub_bytes, alone.publish_ns);
    r.add_latency("paced_publish_recorded", "block", pub_bytes, recorded.publish_ns);
    r.add({"thr", "paced_recording", "block", size_label(pub_bytes), "frames_lost",
           static_cast<double>(recorded.lost), "frames"});
    r.add_ratio("paced publisher rate recorded / alone 2MiB",
                recorded.frames_per_s / alone.frames_per_s, ">= 0.95");
    r.add_ratio("paced publish p50 alone / recorded 2MiB", p50_alone / p50_recorded, ">= 0.95");
  } else {
    ok = false;
  }
  r.print(s.results);
  return ok ? 0 : 1;
}
