#pragma once

// The audit trail on disk: JSON lines, one record per line, each line handed
// to the kernel with one write(2) as soon as it is made (so that a crash of
// any process, this one included, loses no line already logged), optionally
// fdatasync'ed (survives a power loss), and rotated by size:
// path -> path.1 -> path.2 ..., keeping `keep_files` files in all.

#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/expected.hpp"

#include <cstdint>
#include <string>

namespace dxhub::actors {

struct audit_file_options {
  std::string path = "dxhub-audit.jsonl";
  /// A file is rotated before a line would make it larger than this.
  uint64_t rotate_bytes = 10 << 20;
  /// Files kept in all, the current one included (at least 1).
  uint32_t keep_files = 5;
  /// fdatasync after every line (slower; survives a power loss too).
  bool sync = false;
};

/// One line of the audit log as JSON text (no newline): the record's fields
/// plus "time" (ISO 8601, UTC, ns) and "seq" (line number in this logger's run).
std::string audit_line(const audit_record& record, uint64_t seq);

/// The audit record of an event: a command record for "dxhub/audit/command"
/// events (their data is the record), else an "event" record.
audit_record audit_record_of(const event& e);

/// An append-only, size-rotated JSON lines file.
class audit_file {
public:
  static expected<audit_file> open(audit_file_options options);

  audit_file(audit_file&& other) noexcept;
  audit_file& operator=(audit_file&& other) noexcept;
  audit_file(const audit_file&) = delete;
  audit_file& operator=(const audit_file&) = delete;
  ~audit_file();

  /// Appends `line` and a newline with one write(2), rotating first if needed.
  expected<void> append(const std::string& line);

  /// Appends a record (numbered by this file).
  expected<void> append(const audit_record& record);

  uint64_t lines() const noexcept { return lines_; }
  uint64_t rotations() const noexcept { return rotations_; }
  const audit_file_options& options() const noexcept { return options_; }

private:
  audit_file() = default;
  expected<void> open_current();
  expected<void> rotate();

  audit_file_options options_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t lines_ = 0;
  uint64_t rotations_ = 0;
};

} // namespace dxhub::actors
