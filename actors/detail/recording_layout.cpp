#include "dxhub/actors/detail/recording_layout.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace dxhub::actors::detail {

namespace {

std::size_t width_of(const column& c) {
  switch (c.kind) {
    case 'b':
      return 1;
    case 's':
      return c.width;
    default:
      return 8;
  }
}

hid_t base_type(char kind) {
  switch (kind) {
    case 'u':
      return H5T_STD_U64LE;
    case 'i':
      return H5T_STD_I64LE;
    case 'f':
      return H5T_IEEE_F64LE;
    default:
      return H5T_STD_U8LE;
  }
}

std::string meta_json(const metadata& m) {
  auto doc = nlohmann::json::object();
  for (auto& [k, v] : m.entries())
    doc[k] = v;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

table_layout::table_layout(std::vector<column> columns) : columns_(std::move(columns)) {
  for (const auto& c : columns_) {
    offsets_.push_back(row_bytes_);
    row_bytes_ += width_of(c);
  }
}

expected<h5_id> table_layout::type() const {
  DXHUB_TRY(t, h5_check(H5Tcreate(H5T_COMPOUND, row_bytes_), H5Tclose, "H5Tcreate table"));
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const auto& c = columns_[i];
    if (c.kind == 's') {
      DXHUB_TRY(s, h5_fixed_string(c.width));
      DXHUB_TRYV(h5_check(H5Tinsert(t.get(), c.name, offsets_[i], s.get()), "H5Tinsert"));
    } else {
      DXHUB_TRYV(h5_check(H5Tinsert(t.get(), c.name, offsets_[i], base_type(c.kind)), "H5Tinsert"));
    }
  }
  return t;
}

row_writer::row_writer(const table_layout& layout, std::span<std::byte> row) noexcept
  : layout_(layout), row_(row) {
  std::memset(row_.data(), 0, row_.size());
}

std::byte* row_writer::at() noexcept {
  return row_.data() + layout_.offset(next_++);
}

row_writer& row_writer::u64(uint64_t v) noexcept {
  std::memcpy(at(), &v, 8);
  return *this;
}

row_writer& row_writer::i64(int64_t v) noexcept {
  std::memcpy(at(), &v, 8);
  return *this;
}

row_writer& row_writer::f64(double v) noexcept {
  std::memcpy(at(), &v, 8);
  return *this;
}

row_writer& row_writer::u8(uint8_t v) noexcept {
  std::memcpy(at(), &v, 1);
  return *this;
}

row_writer& row_writer::text(const std::string& v) noexcept {
  auto width = layout_.columns()[next_].width;
  auto n = std::min(v.size(), width);
  truncated_ = truncated_ || n < v.size();
  std::memcpy(at(), v.data(), n);
  return *this;
}

row_reader::row_reader(const table_layout& layout, std::span<const std::byte> row) noexcept
  : layout_(layout), row_(row) {}

const std::byte* row_reader::at() noexcept {
  return row_.data() + layout_.offset(next_++);
}

uint64_t row_reader::u64() noexcept {
  uint64_t v;
  std::memcpy(&v, at(), 8);
  return v;
}

int64_t row_reader::i64() noexcept {
  int64_t v;
  std::memcpy(&v, at(), 8);
  return v;
}

double row_reader::f64() noexcept {
  double v;
  std::memcpy(&v, at(), 8);
  return v;
}

uint8_t row_reader::u8() noexcept {
  uint8_t v;
  std::memcpy(&v, at(), 1);
  return v;
}

std::string row_reader::text() {
  auto width = layout_.columns()[next_].width;
  const auto* p = reinterpret_cast<const char*>(at());
  return std::string{p, strnlen(p, width)};
}

const table_layout& header_table() {
  static const table_layout t{{{"sequence", 'u'},
                               {"session", 'u'},
                               {"monotonic_ns", 'i'},
                               {"wall_ns", 'i'},
                               {"experiment_time", 'f'},
                               {"recorded_ns", 'i'},
                               {"missed", 'u'},
                               {"new_session", 'b'},
                               {"meta", 's', meta_width}}};
  return t;
}

const table_layout& command_table_layout() {
  static const table_layout t{{{"wall_ns", 'i'},
                               {"caller", 's', name_width},
                               {"service", 's', name_width},
                               {"command", 's', action_width},
                               {"args", 's', json_width},
                               {"result", 's', json_width},
                               {"error", 's', error_width},
                               {"latency_ns", 'i'},
                               {"truncated", 'b'}}};
  return t;
}

const table_layout& event_table() {
  static const table_layout t{{{"wall_ns", 'i'},
                               {"source", 's', name_width},
                               {"topic", 's', name_width},
                               {"kind", 's', action_width},
                               {"data", 's', json_width},
                               {"truncated", 'b'}}};
  return t;
}

const table_layout& manifest_table() {
  static const table_layout t{
      {{"dataset", 's', path_width}, {"rows", 'u'}, {"bytes", 'u'}, {"sha256", 's', digest_width}}};
  return t;
}

void encode(const header_row& r, std::span<std::byte> row) {
  row_writer w{header_table(), row};
  const auto& h = r.header;
  w.u64(h.sequence)
      .u64(h.session)
      .i64(h.monotonic_ns)
      .i64(h.wall_ns)
      .f64(h.experiment_time)
      .i64(r.recorded_ns)
      .u64(r.missed)
      .u8(r.new_session ? 1 : 0)
      .text(meta_json(h.meta));
}

expected<header_row> decode_header(std::span<const std::byte> row) {
  row_reader in{header_table(), row};
  header_row r;
  r.header.sequence = in.u64();
  r.header.session = in.u64();
  r.header.monotonic_ns = in.i64();
  r.header.wall_ns = in.i64();
  r.header.experiment_time = in.f64();
  r.recorded_ns = in.i64();
  r.missed = in.u64();
  r.new_session = in.u8() != 0;
  auto meta = nlohmann::json::parse(in.text(), nullptr, false);
  if (meta.is_discarded() || !meta.is_object())
    return error{errc::bad_encoding, "frame metadata is not a JSON object"};
  for (auto& [k, v] : meta.items())
    if (v.is_string())
      DXHUB_TRYV(r.header.meta.set(k, v.get<std::string>()));
  return r;
}

bool encode_command(const audit_record& r, std::span<std::byte> row) {
  row_writer w{command_table_layout(), row};
  w.i64(r.wall_ns)
      .text(r.caller)
      .text(r.target)
      .text(r.action)
      .text(r.args.text)
      .text(r.result.text)
      .text(r.error)
      .i64(r.latency_ns);
  bool cut = w.truncated();
  w.u8(cut ? 1 : 0);
  return cut;
}

bool encode_event(const audit_record& r, std::span<std::byte> row) {
  row_writer w{event_table(), row};
  w.i64(r.wall_ns).text(r.caller).text(r.target).text(r.action).text(r.args.text);
  bool cut = w.truncated();
  w.u8(cut ? 1 : 0);
  return cut;
}

audit_record decode_command(std::span<const std::byte> row) {
  row_reader in{command_table_layout(), row};
  audit_record r;
  r.kind = "command";
  r.wall_ns = in.i64();
  r.caller = in.text();
  r.target = in.text();
  r.action = in.text();
  r.args = json_text{in.text()};
  r.result = json_text{in.text()};
  r.error = in.text();
  r.latency_ns = in.i64();
  return r;
}

audit_record decode_event(std::span<const std::byte> row) {
  row_reader in{event_table(), row};
  audit_record r;
  r.kind = "event";
  r.wall_ns = in.i64();
  r.caller = in.text();
  r.target = in.text();
  r.action = in.text();
  r.args = json_text{in.text()};
  return r;
}

} // namespace dxhub::actors::detail
