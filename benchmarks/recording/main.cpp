// dxhub-bench-recording: what recording costs (issue 23, acceptance 2).
//   - sustained recording rate of frames of 64 KiB, 1 MiB and 8 MiB into an
//     HDF5 run file (recording_writer, committed every 100 ms as the
//     recorder's thread does), next to a raw sequential write(2) of the same
//     bytes to a file in the same directory, in the same run; both end with
//     fdatasync, so the figures include getting the bytes to the disk;
//   - the rate of a publisher of 1 MiB frames publishing as fast as it can,
//     alone and with the stock recorder subscribed (policy latest).
// --dir picks the file system (default: the temporary directory).

#include "dxhub/actors/recorder.hpp"
#include "dxhub/actors/recording.hpp"
#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/node_config.hpp"
#include "dxhub/schemas/clock.hpp"

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
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

/// Frames per second a publisher of `bytes`-byte frames reaches, with a
/// recorder of the channel writing to `path` when it is not empty.
double publisher_rate(std::size_t bytes, uint64_t frames, const std::string& path) {
  dxhub::runtime::node_config cfg;
  caf::actor_system sys{cfg};
  dxhub::runtime::node_options opts;
  opts.name = "bench-recording";
  opts.networked = false;
  opts.shared_memory = false;
  dxhub::runtime::node n{sys, opts};
  const std::string channel = "bench/rec/raw";
  auto pub = dxhub::runtime::publish(n, channel, dxhub::raw_bytes_schema(bytes));
  if (!pub)
    return -1;
  caf::actor rec;
  if (!path.empty()) {
    dxhub::actors::recorder_config rc;
    rc.name = "bench-recorder";
    rc.service = "bench-recorder";
    rc.channels = {channel};
    rc.path = path;
    rc.audit = false;
    rec = dxhub::actors::spawn_recorder(sys, rc);
    // Publish until the recorder is attached.
    auto until = dxhub::monotonic_ns() + 5'000'000'000;
    while (dxhub::monotonic_ns() < until) {
      auto loan = pub.value().loan();
      if (!loan)
        continue;
      auto sent = pub.value().publish(std::move(loan.value()));
      if (sent && sent.value().local_subscribers > 0)
        break;
    }
  }
  uint64_t published = 0;
  auto start = dxhub::monotonic_ns();
  for (uint64_t i = 0; i < frames; ++i) {
    auto loan = pub.value().loan();
    if (!loan)
      continue;
    std::memcpy(loan.value().payload().data(), &i, sizeof i);
    if (pub.value().publish(std::move(loan.value())))
      ++published;
  }
  auto secs = static_cast<double>(dxhub::monotonic_ns() - start) / 1e9;
  if (rec) {
    caf::scoped_actor self{sys};
    self->send_exit(rec, caf::exit_reason::user_shutdown);
    self->wait_for(rec);
    fs::remove(path);
  }
  n.shutdown();
  return static_cast<double>(published) / secs;
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
  const std::size_t pub_bytes = std::size_t{1} << 20;
  uint64_t pub_frames = s.quick ? 500 : 3000;
  auto alone = publisher_rate(pub_bytes, pub_frames, "");
  auto recorded = publisher_rate(pub_bytes, pub_frames, base + ".pub.h5");
  std::fprintf(stderr, "  publisher: alone %.0f frames/s, recorded %.0f frames/s\n", alone,
               recorded);
  if (alone > 0 && recorded > 0) {
    r.add_throughput("publisher_alone", "block", pub_bytes, alone);
    r.add_throughput("publisher_recorded", "block", pub_bytes, recorded);
    r.add_ratio("publisher_recorded / publisher_alone 1MiB", recorded / alone, ">= 0.95");
  } else {
    ok = false;
  }
  r.print(s.results);
  return ok ? 0 : 1;
}
