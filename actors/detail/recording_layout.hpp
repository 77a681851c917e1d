#pragma once

// The tables of a recording file as packed HDF5 compounds: their columns,
// and rows encoded to / decoded from the bytes stored (the bytes the
// manifest hashes). Shared by the writer and the reader; the layout is
// documented in docs/recording.md.

#include "dxhub/actors/detail/hdf5.hpp"
#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/frame_header.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dxhub::actors::detail {

/// One column: a name, a kind ('u' u64, 'i' i64, 'f' f64, 'b' u8, 's' text)
/// and, for text, its fixed width in bytes.
struct column {
  const char* name;
  char kind;
  std::size_t width = 0;
};

/// The columns of a table and their packed offsets.
class table_layout {
public:
  explicit table_layout(std::vector<column> columns);

  std::size_t row_bytes() const noexcept { return row_bytes_; }
  const std::vector<column>& columns() const noexcept { return columns_; }
  std::size_t offset(std::size_t i) const noexcept { return offsets_[i]; }

  /// The packed compound type (file and memory type alike).
  expected<h5_id> type() const;

private:
  std::vector<column> columns_;
  std::vector<std::size_t> offsets_;
  std::size_t row_bytes_ = 0;
};

/// Fills one row, column by column in order.
class row_writer {
public:
  row_writer(const table_layout& layout, std::span<std::byte> row) noexcept;
  row_writer& u64(uint64_t v) noexcept;
  row_writer& i64(int64_t v) noexcept;
  row_writer& f64(double v) noexcept;
  row_writer& u8(uint8_t v) noexcept;
  /// Text cut at the column width; returns via `truncated()` whether any was cut.
  row_writer& text(const std::string& v) noexcept;
  bool truncated() const noexcept { return truncated_; }

private:
  std::byte* at() noexcept;
  const table_layout& layout_;
  std::span<std::byte> row_;
  std::size_t next_ = 0;
  bool truncated_ = false;
};

/// Reads one row, column by column in order.
class row_reader {
public:
  row_reader(const table_layout& layout, std::span<const std::byte> row) noexcept;
  uint64_t u64() noexcept;
  int64_t i64() noexcept;
  double f64() noexcept;
  uint8_t u8() noexcept;
  std::string text();

private:
  const std::byte* at() noexcept;
  const table_layout& layout_;
  std::span<const std::byte> row_;
  std::size_t next_ = 0;
};

// Text widths of the tables (bytes, NUL-padded, UTF-8).
inline constexpr std::size_t meta_width = 1024;
inline constexpr std::size_t name_width = 128;
inline constexpr std::size_t action_width = 64;
inline constexpr std::size_t json_width = 2048;
inline constexpr std::size_t error_width = 512;
inline constexpr std::size_t path_width = 256;
inline constexpr std::size_t digest_width = 64;

/// The per-channel header table, row-aligned with the frames.
const table_layout& header_table();
/// /audit/commands: one row per command of the run.
const table_layout& command_table_layout();
/// /audit/events: one row per event of the run.
const table_layout& event_table();
/// /manifest: one row per hashed dataset.
const table_layout& manifest_table();

/// One row of a header table.
struct header_row {
  frame_header header;
  /// CLOCK_REALTIME when the recorder took the frame, in ns.
  int64_t recorded_ns = 0;
  /// Frames of the same session missing before this one (sequence gap).
  uint64_t missed = 0;
  /// 1 when this frame starts a publisher session (the first frame, or
  /// the first after a publisher restart).
  bool new_session = false;
};

void encode(const header_row& r, std::span<std::byte> row);
expected<header_row> decode_header(std::span<const std::byte> row);

/// Encodes a command or event record into the row of its table; returns
/// whether a text was cut at its column width.
bool encode_command(const audit_record& r, std::span<std::byte> row);
bool encode_event(const audit_record& r, std::span<std::byte> row);
audit_record decode_command(std::span<const std::byte> row);
audit_record decode_event(std::span<const std::byte> row);

// Paths inside the file.
inline constexpr const char* channels_group = "/channels";
inline constexpr const char* commands_path = "/audit/commands";
inline constexpr const char* events_path = "/audit/events";
inline constexpr const char* manifest_path = "/manifest";
inline constexpr const char* format_name = "dxhub.recording";
inline constexpr int64_t format_version = 1;

} // namespace dxhub::actors::detail
