#include "dxhub/actors/audit_file.hpp"

#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace dxhub::actors {

namespace {

nlohmann::json embedded(const json_text& text) {
  auto doc = parse_json(text.text);
  return doc ? std::move(doc.value()) : nlohmann::json(text.text);
}

} // namespace

std::string audit_line(const audit_record& record, uint64_t seq) {
  nlohmann::json j;
  j["time"] = iso8601(record.wall_ns);
  j["wall_ns"] = record.wall_ns;
  j["seq"] = seq;
  j["kind"] = record.kind;
  j["caller"] = record.caller;
  j["target"] = record.target;
  j["action"] = record.action;
  j["args"] = embedded(record.args);
  j["result"] = embedded(record.result);
  j["error"] = record.error;
  j["latency_ns"] = record.latency_ns;
  // Replace invalid UTF-8 instead of throwing: a line is never lost to it.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

audit_record audit_record_of(const event& e) {
  if (e.topic == "dxhub/audit/command") {
    if (auto rec = decode_json<audit_record>(e.data.text))
      return std::move(rec.value());
  }
  audit_record r;
  r.wall_ns = e.wall_ns != 0 ? e.wall_ns : wall_ns();
  r.kind = "event";
  r.caller = e.source;
  r.target = e.topic;
  r.action = e.kind;
  r.args = e.data;
  return r;
}

expected<audit_file> audit_file::open(audit_file_options options) {
  if (options.keep_files == 0)
    return error{errc::invalid_argument, "keep_files must be at least 1"};
  if (options.rotate_bytes == 0)
    return error{errc::invalid_argument, "rotate_bytes must be positive"};
  audit_file f;
  f.options_ = std::move(options);
  DXHUB_TRYV(f.open_current());
  return f;
}

audit_file::audit_file(audit_file&& other) noexcept
  : options_(std::move(other.options_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_),
    lines_(other.lines_), rotations_(other.rotations_) {}

audit_file& audit_file::operator=(audit_file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    options_ = std::move(other.options_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    lines_ = other.lines_;
    rotations_ = other.rotations_;
  }
  return *this;
}

audit_file::~audit_file() {
  if (fd_ >= 0)
    ::close(fd_);
}

expected<void> audit_file::open_current() {
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0)
    return last_system_error("open " + options_.path);
  struct stat st {};
  if (::fstat(fd_, &st) != 0)
    return last_system_error("fstat " + options_.path);
  size_ = static_cast<uint64_t>(st.st_size);
  return ok();
}

expected<void> audit_file::rotate() {
  ::close(fd_);
  fd_ = -1;
  auto name = [this](uint32_t i) {
    return i == 0 ? options_.path : options_.path + "." + std::to_string(i);
  };
  // The oldest file falls off; the others move up by one.
  if (options_.keep_files == 1) {
    ::unlink(options_.path.c_str());
  } else {
    ::unlink(name(options_.keep_files - 1).c_str());
    for (uint32_t i = options_.keep_files - 1; i > 0; --i)
      if (::rename(name(i - 1).c_str(), name(i).c_str()) != 0 && errno != ENOENT)
        return last_system_error("rename " + name(i - 1));
  }
  ++rotations_;
  return open_current();
}

expected<void> audit_file::append(const std::string& line) {
  auto text = line + '\n';
  if (size_ > 0 && size_ + text.size() > options_.rotate_bytes)
    DXHUB_TRYV(rotate());
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    auto n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return last_system_error("write " + options_.path);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (options_.sync && ::fdatasync(fd_) != 0)
    return last_system_error("fdatasync " + options_.path);
  size_ += text.size();
  ++lines_;
  return ok();
}

expected<void> audit_file::append(const audit_record& record) {
  return append(audit_line(record, lines_));
}

} // namespace dxhub::actors
