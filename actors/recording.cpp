#include "dxhub/actors/recording.hpp"

#include "dxhub/schemas/json.hpp"

#include <cstring>

namespace dxhub::actors {

namespace {

// Upper bounds that keep a corrupt file from asking for absurd allocations.
constexpr uint32_t max_text_bytes = 1 << 20;
constexpr uint64_t max_payload_bytes = uint64_t{1} << 34;

bool put(std::FILE* f, const void* data, std::size_t n) {
  return std::fwrite(data, 1, n, f) == n;
}

bool get(std::FILE* f, void* data, std::size_t n) {
  return std::fread(data, 1, n, f) == n;
}

bool put_text(std::FILE* f, const std::string& text) {
  auto n = static_cast<uint32_t>(text.size());
  return put(f, &n, sizeof n) && put(f, text.data(), text.size());
}

expected<std::string> get_text(std::FILE* f, const std::string& path, const char* what) {
  uint32_t n = 0;
  if (!get(f, &n, sizeof n) || n > max_text_bytes)
    return error{errc::malformed_message, path + ": bad " + what + " length"};
  std::string text(n, '\0');
  if (!get(f, text.data(), n))
    return error{errc::truncated_message, path + ": " + what + " cut short"};
  return text;
}

} // namespace

expected<recording_writer> recording_writer::create(const std::string& path,
                                                    const std::string& channel,
                                                    const frame_schema& schema) {
  recording_writer w;
  w.path_ = path;
  w.file_.reset(std::fopen(path.c_str(), "wb"));
  if (!w.file_)
    return last_system_error("fopen " + path);
  uint32_t header[2] = {recording_version, 0};
  if (!put(w.file_.get(), recording_magic, sizeof recording_magic)
      || !put(w.file_.get(), header, sizeof header) || !put_text(w.file_.get(), encode_json(schema))
      || !put_text(w.file_.get(), channel))
    return last_system_error("write " + path);
  DXHUB_TRYV(w.flush());
  return w;
}

expected<void> recording_writer::write(const frame_header& header,
                                       std::span<const std::byte> payload) {
  uint32_t lead[2] = {record_magic, static_cast<uint32_t>(sizeof(frame_header))};
  uint64_t bytes = payload.size();
  if (!put(file_.get(), lead, sizeof lead) || !put(file_.get(), &bytes, sizeof bytes)
      || !put(file_.get(), &header, sizeof header)
      || !put(file_.get(), payload.data(), payload.size()))
    return last_system_error("write " + path_);
  ++frames_;
  return ok();
}

expected<void> recording_writer::flush() {
  if (std::fflush(file_.get()) != 0)
    return last_system_error("fflush " + path_);
  return ok();
}

expected<recording_reader> recording_reader::open(const std::string& path) {
  recording_reader r;
  r.path_ = path;
  r.file_.reset(std::fopen(path.c_str(), "rb"));
  if (!r.file_)
    return last_system_error("fopen " + path);
  char magic[8];
  uint32_t header[2];
  if (!get(r.file_.get(), magic, sizeof magic)
      || std::memcmp(magic, recording_magic, sizeof magic) != 0)
    return error{errc::bad_magic, path + " is not a dxhub recording"};
  if (!get(r.file_.get(), header, sizeof header) || header[0] != recording_version)
    return error{errc::unsupported_version, path + ": recording format version "
                                                + std::to_string(header[0]) + ", this reader knows "
                                                + std::to_string(recording_version)};
  DXHUB_TRY(schema_text, get_text(r.file_.get(), path, "schema"));
  DXHUB_TRY(schema, decode_json<frame_schema>(schema_text));
  r.schema_ = std::move(schema);
  DXHUB_TRY(channel, get_text(r.file_.get(), path, "channel"));
  r.channel_ = std::move(channel);
  return r;
}

expected<std::optional<recorded_frame>> recording_reader::next() {
  uint32_t lead[2];
  uint64_t bytes = 0;
  if (!get(file_.get(), lead, sizeof lead) || !get(file_.get(), &bytes, sizeof bytes))
    return std::optional<recorded_frame>{};
  if (lead[0] != record_magic)
    return error{errc::bad_magic, path_ + ": a record does not start with FRM1"};
  if (lead[1] != sizeof(frame_header))
    return error{errc::layout_mismatch, path_ + ": frame headers of " + std::to_string(lead[1])
                                            + " bytes, this reader has "
                                            + std::to_string(sizeof(frame_header))};
  if (bytes > max_payload_bytes)
    return error{errc::oversized_message,
                 path_ + ": record of " + std::to_string(bytes) + " bytes"};
  recorded_frame f;
  f.payload.resize(bytes);
  if (!get(file_.get(), &f.header, sizeof f.header) || !get(file_.get(), f.payload.data(), bytes))
    return std::optional<recorded_frame>{}; // the writer died mid-record
  return std::optional<recorded_frame>{std::move(f)};
}

} // namespace dxhub::actors
