#pragma once

// Reads a recording written by `recording_writer` (actors/recording.hpp),
// complete or still being written (HDF5 SWMR read), and checks it against
// its manifest (`verify_recording`, behind `dxhub verify`).

#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace dxhub::actors {

/// One channel of a recording.
struct recorded_channel {
  std::string channel;
  /// The HDF5 group holding it ("/channels/lab/cam0/raw").
  std::string group;
  frame_schema schema;
  /// Whole frames (rows of the header table present in every field).
  uint64_t frames = 0;
  /// Field units by field name.
  std::map<std::string, std::string> units;
};

/// A frame's header as recorded, with what the recorder added.
struct recorded_header {
  frame_header header;
  int64_t recorded_ns = 0;
  uint64_t missed = 0;
  bool new_session = false;
};

class recording_reader {
public:
  /// Opens a recording; a file that is not HDF5, or not a dxhub recording,
  /// or a recording of a newer format, is an error naming what it is.
  static expected<recording_reader> open(const std::string& path);

  recording_reader(recording_reader&&) noexcept;
  recording_reader& operator=(recording_reader&&) noexcept;
  ~recording_reader();

  const std::string& path() const noexcept;
  const std::string& run_id() const noexcept;
  /// False while the run is being written, and forever for a run whose
  /// writer died.
  bool complete() const noexcept;
  /// The root attributes (provenance, start/stop) as JSON.
  const nlohmann::json& attributes() const noexcept;

  const std::vector<recorded_channel>& channels() const noexcept;
  /// The index of `channel` in `channels()`.
  expected<std::size_t> find(const std::string& channel) const;

  /// Re-reads the frame counts of a run in progress.
  expected<void> refresh();

  /// The header of frame `index` of channel `channel`.
  expected<recorded_header> header(std::size_t channel, uint64_t index) const;

  /// Reads the payload of frame `index` into `payload`, laid out as the
  /// schema says (`payload.size()` >= the schema's payload size).
  expected<void> read(std::size_t channel, uint64_t index, std::span<std::byte> payload) const;

  /// The commands and events of the run, in the order recorded.
  expected<std::vector<audit_record>> commands() const;
  expected<std::vector<audit_record>> events() const;

private:
  struct impl;
  explicit recording_reader(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// The check of one dataset against its manifest row.
struct dataset_check {
  std::string dataset;
  uint64_t rows = 0;
  std::string recorded;
  std::string computed;
  bool ok = false;
  /// What is wrong ("" when ok).
  std::string problem;
};

struct verify_report {
  std::string path;
  std::string run_id;
  bool complete = false;
  std::vector<dataset_check> datasets;
  uint64_t failures = 0;
  bool ok() const noexcept { return failures == 0 && !datasets.empty(); }
};

/// Recomputes the SHA-256 of every dataset of the manifest over the rows it
/// covers and compares. A file that does not open is an error; a digest
/// that differs is a failed check in the report.
expected<verify_report> verify_recording(const std::string& path);

nlohmann::json to_json(const verify_report& report);

} // namespace dxhub::actors
