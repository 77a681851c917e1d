#pragma once

// A run on disk: one HDF5 file holding the frames of any number of
// channels (per channel a group, one dataset per schema field, frames
// along the first axis, and a header table row-aligned with the frames),
// the run's audit records (commands and events) as tables, the run's
// provenance as attributes, and a manifest of SHA-256 digests computed
// while writing. Written in HDF5's single-writer/multiple-reader (SWMR)
// mode, so that readers see a run in progress and a writer killed at any
// point leaves a file that opens, with every committed frame, marked
// incomplete. The layout is documented in docs/recording.md; the reader is
// actors/recording_reader.hpp.

#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace dxhub::actors {

/// What a run says about itself: attributes of the file's root group.
struct run_provenance {
  /// Unique id of the run (16 hex digits, random).
  std::string run_id;
  std::string host;
  std::string dxhub_version;
  /// The deployment file the run was started from (path and text), if any.
  std::string deployment_file;
  std::string deployment;
  /// The id of the run this run replays, if it is a replay.
  std::string replay_of;
  /// CLOCK_REALTIME at the start of the run, in ns.
  int64_t started_wall_ns = 0;
};

/// The provenance of a run started now by this process: a fresh run id, the
/// host name, this dxhub's version, and the deployment file named by
/// $DXHUB_DEPLOYMENT_FILE (set by `dxhub run` for its nodes) with its text.
run_provenance provenance_of_this_process();

/// How one channel is stored.
struct channel_format {
  /// Units of fields by field name ("image" = "counts"), stored as the
  /// `units` attribute of each field's dataset.
  std::map<std::string, std::string> units;
  /// Lossless compression of the fields: gzip (deflate) level 1..9 with
  /// byte shuffling; 0 = none (frames are then written as whole chunks).
  int deflate = 0;
};

struct recording_options {
  std::string path;
  run_provenance run;
  /// The channels the run is expected to hold: live reading (SWMR) starts
  /// as soon as each of them has its first frame, or after `live_after`.
  /// A channel that starts later is added by leaving SWMR briefly (live
  /// readers then reopen the file to see it).
  std::vector<std::string> channels;
  std::chrono::milliseconds live_after{2000};
  /// Formats by channel name; the entry "" applies to every other channel.
  std::map<std::string, channel_format> formats;
};

/// What was recorded of one channel so far.
struct channel_summary {
  std::string channel;
  uint64_t frames = 0;
  /// Frames missing from sequence gaps.
  uint64_t missed = 0;
  /// Publisher sessions seen.
  uint64_t sessions = 0;
  /// Frames refused (a schema that differs from the recorded one, a channel
  /// stopped by a failed write, no room left to close the file).
  uint64_t refused = 0;
};

/// Writes one run to an HDF5 file. Not thread-safe: one thread writes.
class recording_writer {
public:
  /// Creates (truncates) the file and writes the run's attributes; the run
  /// is marked incomplete until `close`.
  static expected<recording_writer> create(recording_options options);

  recording_writer(recording_writer&&) noexcept;
  recording_writer& operator=(recording_writer&&) noexcept;
  /// Closes the file (as `close("destroyed")` would) if still open.
  ~recording_writer();

  /// Appends a frame of `channel`. The first frame of a channel fixes its
  /// schema; a frame of another schema is refused (`schema_mismatch`).
  expected<void> write(const std::string& channel, const frame_schema& schema,
                       const frame_header& header, std::span<const std::byte> payload,
                       int64_t recorded_ns);

  /// Appends a command or event record to the audit tables.
  expected<void> write(const audit_record& record);

  /// Makes everything written so far durable for readers: updates the
  /// manifest and flushes the file (a frame counts as recorded once a
  /// commit returned). Starts live reading when its time has come.
  expected<void> commit();

  /// Commits, then marks the run complete with its stop time and reason.
  expected<void> close(const std::string& stop_reason);

  /// Whether readers can follow the file now (SWMR mode).
  bool live() const noexcept;
  const std::string& path() const noexcept;
  const run_provenance& run() const noexcept;
  uint64_t frames() const noexcept;
  uint64_t bytes() const noexcept;
  std::vector<channel_summary> channels() const;

private:
  struct impl;
  explicit recording_writer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace dxhub::actors
