#pragma once

// The file format of the recorder, and its reader. A recording holds the
// frames of one channel with their headers, byte for byte as published:
//
//   file   = file_header, schema_json, channel, record*
//   file_header (16 bytes): magic "DXHREC01" (8), format version u32 (= 1),
//            reserved u32 (= 0)
//   schema_json: u32 length, then the frame schema as JSON (schemas/json.hpp)
//   channel: u32 length, then the channel name (UTF-8)
//   record = u32 magic "FRM1" (0x314d5246), u32 header bytes (sizeof(frame_header)),
//            u64 payload bytes, the frame_header as it lay in memory, the payload
//
// Integers are in the byte order of the machine that wrote the file (every
// supported platform is little-endian); the frame header is the trivially
// copyable `dxhub::frame_header`, so a reader built for another header
// layout refuses the file (header bytes differ) instead of misreading it.
// A record cut short by a crash of the writer ends the recording cleanly.

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dxhub::actors {

inline constexpr char recording_magic[8] = {'D', 'X', 'H', 'R', 'E', 'C', '0', '1'};
inline constexpr uint32_t recording_version = 1;
inline constexpr uint32_t record_magic = 0x314d5246; // "FRM1" little-endian

/// Appends frames of one channel to a recording file.
class recording_writer {
public:
  /// Creates (truncates) `path` and writes the file header.
  static expected<recording_writer> create(const std::string& path, const std::string& channel,
                                           const frame_schema& schema);

  /// Appends one frame: its header and payload, unchanged.
  expected<void> write(const frame_header& header, std::span<const std::byte> payload);

  /// Pushes buffered records to the file.
  expected<void> flush();

  uint64_t frames() const noexcept { return frames_; }
  const std::string& path() const noexcept { return path_; }

private:
  struct closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, closer> file_;
  std::string path_;
  uint64_t frames_ = 0;
};

/// One frame read back from a recording.
struct recorded_frame {
  frame_header header;
  std::vector<std::byte> payload;
};

/// Reads a recording written by `recording_writer`.
class recording_reader {
public:
  /// Opens `path` and checks its file header; a foreign or newer file is an
  /// error naming what differs.
  static expected<recording_reader> open(const std::string& path);

  const frame_schema& schema() const noexcept { return schema_; }
  const std::string& channel() const noexcept { return channel_; }

  /// The next frame; nullopt at the end of the file (or of its last whole record).
  expected<std::optional<recorded_frame>> next();

private:
  struct closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, closer> file_;
  std::string path_;
  frame_schema schema_;
  std::string channel_;
};

} // namespace dxhub::actors
