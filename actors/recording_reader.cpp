#include "dxhub/actors/recording_reader.hpp"

#include "dxhub/actors/detail/hdf5.hpp"
#include "dxhub/actors/detail/recording_layout.hpp"
#include "dxhub/actors/detail/sha256.hpp"
#include "dxhub/schemas/json.hpp"

#include <algorithm>
#include <filesystem>

namespace dxhub::actors {

using detail::h5_check;
using detail::h5_error;
using detail::h5_id;

namespace {

/// Reads are done in batches of about this many bytes.
constexpr uint64_t batch_bytes = 8 << 20;

struct open_dataset {
  std::string path;
  h5_id handle;
  h5_id type;
  uint64_t row_bytes = 0;
};

struct channel_handles {
  std::vector<open_dataset> fields;
  std::vector<field_location> locations;
  open_dataset header;
};

expected<open_dataset> open_rows(hid_t file, const std::string& path) {
  open_dataset d;
  d.path = path;
  DXHUB_TRY(h, h5_check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, "no dataset " + path));
  d.handle = std::move(h);
  DXHUB_TRY(t, h5_check(H5Dget_type(d.handle.get()), H5Tclose, "H5Dget_type " + path));
  d.type = std::move(t);
  DXHUB_TRY(dims, detail::h5_extent(d.handle.get()));
  if (dims.empty())
    return error{errc::malformed_message, path + " has no rows axis"};
  d.row_bytes = H5Tget_size(d.type.get());
  for (std::size_t i = 1; i < dims.size(); ++i)
    d.row_bytes *= dims[i];
  return d;
}

expected<uint64_t> rows_of(const open_dataset& d) {
  DXHUB_TRY(dims, detail::h5_extent(d.handle.get()));
  return dims.empty() ? 0 : dims[0];
}

expected<std::vector<std::byte>> read_all_rows(const open_dataset& d) {
  DXHUB_TRY(n, rows_of(d));
  std::vector<std::byte> out(n * d.row_bytes);
  DXHUB_TRYV(detail::h5_read_rows(d.handle.get(), d.type.get(), 0, n, out));
  return out;
}

} // namespace

struct recording_reader::impl {
  std::string path;
  h5_id fapl;
  h5_id file;
  nlohmann::json attrs = nlohmann::json::object();
  std::string run_id;
  bool complete = false;
  std::vector<recorded_channel> channels;
  std::vector<channel_handles> handles;

  expected<void> read_attributes() {
    auto root = file.get();
    auto format = detail::h5_get_text(root, "dxhub_format");
    if (!format || format.value() != detail::format_name)
      return error{errc::bad_magic, path + " is an HDF5 file but not a dxhub recording"};
    DXHUB_TRY(version, detail::h5_get_int(root, "format_version"));
    if (version > detail::format_version)
      return error{errc::unsupported_version, path + ": recording format " + std::to_string(version)
                                                  + ", this reader knows "
                                                  + std::to_string(detail::format_version)};
    attrs["format_version"] = version;
    for (const char* key : {"run_id", "host", "dxhub_version", "deployment_file", "deployment",
                            "replay_of", "started", "status", "stopped", "stop_reason"})
      if (detail::h5_has_attr(root, key))
        if (auto v = detail::h5_get_text(root, key))
          attrs[key] = v.value();
    for (const char* key : {"started_wall_ns", "stopped_wall_ns", "complete", "frames"})
      if (detail::h5_has_attr(root, key))
        if (auto v = detail::h5_get_int(root, key))
          attrs[key] = v.value();
    run_id = attrs.value("run_id", "");
    complete = attrs.value("complete", int64_t{0}) == 1;
    return ok();
  }

  expected<void> read_channels() {
    DXHUB_TRY(text, detail::h5_get_text(file.get(), "channels"));
    auto list = nlohmann::json::parse(text, nullptr, false);
    if (list.is_discarded() || !list.is_array())
      return error{errc::malformed_message, path + ": the channel list is not JSON"};
    channels.clear();
    handles.clear();
    for (const auto& entry : list) {
      recorded_channel ch;
      channel_handles hs;
      ch.channel = entry.value("channel", "");
      ch.group = entry.value("group", "");
      DXHUB_TRY(group, h5_check(H5Gopen2(file.get(), ch.group.c_str(), H5P_DEFAULT), H5Gclose,
                                "no group " + ch.group + " for channel " + ch.channel));
      DXHUB_TRY(schema_text, detail::h5_get_text(group.get(), "schema"));
      DXHUB_TRY(schema, decode_json<frame_schema>(schema_text));
      DXHUB_TRYV(schema.validate());
      ch.schema = std::move(schema);
      for (const auto& f : ch.schema.fields) {
        DXHUB_TRY(loc, ch.schema.locate(f.name));
        DXHUB_TRY(d, open_rows(file.get(), ch.group + "/fields/" + f.name));
        if (d.row_bytes != loc.bytes)
          return error{errc::layout_mismatch, d.path + ": rows of " + std::to_string(d.row_bytes)
                                                  + " bytes, the schema says "
                                                  + std::to_string(loc.bytes)};
        if (detail::h5_has_attr(d.handle.get(), "units"))
          if (auto u = detail::h5_get_text(d.handle.get(), "units"))
            ch.units[f.name] = u.value();
        hs.locations.push_back(loc);
        hs.fields.push_back(std::move(d));
      }
      DXHUB_TRY(header, open_rows(file.get(), ch.group + "/header"));
      if (header.row_bytes != detail::header_table().row_bytes())
        return error{errc::layout_mismatch, header.path + " is not a header table"};
      hs.header = std::move(header);
      channels.push_back(std::move(ch));
      handles.push_back(std::move(hs));
    }
    return count_frames();
  }

  expected<void> count_frames() {
    for (std::size_t i = 0; i < channels.size(); ++i) {
      DXHUB_TRY(n, rows_of(handles[i].header));
      for (const auto& f : handles[i].fields) {
        DXHUB_TRY(m, rows_of(f));
        n = std::min(n, m);
      }
      channels[i].frames = n;
    }
    return ok();
  }

  expected<std::vector<audit_record>> table(const char* where, bool command) const {
    DXHUB_TRY(d, open_rows(file.get(), where));
    DXHUB_TRY(rows, read_all_rows(d));
    std::vector<audit_record> out;
    for (std::size_t at = 0; at + d.row_bytes <= rows.size(); at += d.row_bytes) {
      auto row = std::span<const std::byte>{rows}.subspan(at, d.row_bytes);
      out.push_back(command ? detail::decode_command(row) : detail::decode_event(row));
    }
    return out;
  }
};

recording_reader::recording_reader(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
recording_reader::recording_reader(recording_reader&&) noexcept = default;
recording_reader& recording_reader::operator=(recording_reader&&) noexcept = default;
recording_reader::~recording_reader() = default;

expected<recording_reader> recording_reader::open(const std::string& path) {
  detail::h5_quiet();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return error{errc::invalid_argument, "no recording file " + path};
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return error{errc::bad_magic, path + " is not an HDF5 file (no HDF5 signature)"};
  }
  auto p = std::make_unique<impl>();
  p->path = path;
  DXHUB_TRY(fapl, detail::h5_file_access());
  p->fapl = std::move(fapl);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, p->fapl.get());
  if (f < 0) {
    H5Eclear2(H5E_DEFAULT);
    f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, p->fapl.get());
  }
  DXHUB_TRY(file, h5_check(f, H5Fclose, "cannot open recording " + path));
  p->file = std::move(file);
  DXHUB_TRYV(p->read_attributes());
  DXHUB_TRYV(p->read_channels());
  return recording_reader{std::move(p)};
}

const std::string& recording_reader::path() const noexcept {
  return impl_->path;
}

const std::string& recording_reader::run_id() const noexcept {
  return impl_->run_id;
}

bool recording_reader::complete() const noexcept {
  return impl_->complete;
}

const nlohmann::json& recording_reader::attributes() const noexcept {
  return impl_->attrs;
}

const std::vector<recorded_channel>& recording_reader::channels() const noexcept {
  return impl_->channels;
}

expected<std::size_t> recording_reader::find(const std::string& channel) const {
  for (std::size_t i = 0; i < impl_->channels.size(); ++i)
    if (impl_->channels[i].channel == channel)
      return i;
  return error{errc::unknown_channel, "no channel " + channel + " in " + impl_->path};
}

expected<void> recording_reader::refresh() {
  for (auto& hs : impl_->handles) {
    DXHUB_TRYV(h5_check(H5Drefresh(hs.header.handle.get()), "refresh " + hs.header.path));
    for (auto& f : hs.fields)
      DXHUB_TRYV(h5_check(H5Drefresh(f.handle.get()), "refresh " + f.path));
  }
  return impl_->count_frames();
}

expected<recorded_header> recording_reader::header(std::size_t channel, uint64_t index) const {
  if (channel >= impl_->channels.size() || index >= impl_->channels[channel].frames)
    return error{errc::invalid_argument,
                 "no frame " + std::to_string(index) + " in channel " + std::to_string(channel)};
  const auto& d = impl_->handles[channel].header;
  std::vector<std::byte> row(d.row_bytes);
  DXHUB_TRYV(detail::h5_read_rows(d.handle.get(), d.type.get(), index, 1, row));
  DXHUB_TRY(r, detail::decode_header(row));
  recorded_header out;
  out.header = r.header;
  out.recorded_ns = r.recorded_ns;
  out.missed = r.missed;
  out.new_session = r.new_session;
  return out;
}

expected<void> recording_reader::read(std::size_t channel, uint64_t index,
                                      std::span<std::byte> payload) const {
  if (channel >= impl_->channels.size() || index >= impl_->channels[channel].frames)
    return error{errc::invalid_argument,
                 "no frame " + std::to_string(index) + " in channel " + std::to_string(channel)};
  const auto& hs = impl_->handles[channel];
  for (std::size_t i = 0; i < hs.fields.size(); ++i) {
    const auto& loc = hs.locations[i];
    if (loc.offset + loc.bytes > payload.size())
      return error{errc::invalid_argument, "payload buffer too small"};
    if (loc.bytes == 0)
      continue;
    DXHUB_TRYV(detail::h5_read_rows(hs.fields[i].handle.get(), hs.fields[i].type.get(), index, 1,
                                    payload.subspan(loc.offset, loc.bytes)));
  }
  return ok();
}

expected<std::vector<audit_record>> recording_reader::commands() const {
  return impl_->table(detail::commands_path, true);
}

expected<std::vector<audit_record>> recording_reader::events() const {
  return impl_->table(detail::events_path, false);
}

namespace {

dataset_check check_dataset(hid_t file, const std::string& dataset, uint64_t rows,
                            const std::string& recorded) {
  dataset_check c;
  c.dataset = dataset;
  c.rows = rows;
  c.recorded = recorded;
  auto d = open_rows(file, dataset);
  if (!d) {
    c.problem = d.error().what();
    return c;
  }
  auto present = rows_of(d.value());
  if (!present || present.value() < rows) {
    c.problem = "the manifest covers " + std::to_string(rows) + " rows, the dataset has "
                + (present ? std::to_string(present.value()) : present.error().what());
    return c;
  }
  detail::sha256 digest;
  auto per_batch = std::max<uint64_t>(1, batch_bytes / std::max<uint64_t>(1, d.value().row_bytes));
  std::vector<std::byte> buffer;
  for (uint64_t at = 0; at < rows; at += per_batch) {
    auto n = std::min(per_batch, rows - at);
    buffer.resize(n * d.value().row_bytes);
    if (auto read =
            detail::h5_read_rows(d.value().handle.get(), d.value().type.get(), at, n, buffer);
        !read) {
      c.problem = read.error().what();
      return c;
    }
    digest.update(buffer);
  }
  c.computed = digest.hex();
  c.ok = c.computed == c.recorded;
  if (!c.ok)
    c.problem = "SHA-256 differs: the data changed after it was recorded";
  return c;
}

} // namespace

expected<verify_report> verify_recording(const std::string& path) {
  DXHUB_TRY(reader, recording_reader::open(path));
  verify_report report;
  report.path = path;
  report.run_id = reader.run_id();
  report.complete = reader.complete();
  DXHUB_TRY(fapl, detail::h5_file_access());
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl.get());
  if (f < 0) {
    H5Eclear2(H5E_DEFAULT);
    f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  }
  DXHUB_TRY(file, h5_check(f, H5Fclose, "cannot open recording " + path));
  DXHUB_TRY(manifest, open_rows(file.get(), detail::manifest_path));
  if (manifest.row_bytes != detail::manifest_table().row_bytes())
    return error{errc::layout_mismatch, path + ": the manifest is not a manifest table"};
  DXHUB_TRY(rows, read_all_rows(manifest));
  const auto& t = detail::manifest_table();
  for (std::size_t at = 0; at + t.row_bytes() <= rows.size(); at += t.row_bytes()) {
    detail::row_reader in{t, std::span<const std::byte>{rows}.subspan(at, t.row_bytes())};
    auto dataset = in.text();
    auto n = in.u64();
    (void)in.u64();
    auto digest = in.text();
    report.datasets.push_back(check_dataset(file.get(), dataset, n, digest));
    if (!report.datasets.back().ok)
      ++report.failures;
  }
  return report;
}

nlohmann::json to_json(const verify_report& r) {
  auto sets = nlohmann::json::array();
  for (const auto& d : r.datasets)
    sets.push_back({{"dataset", d.dataset},
                    {"rows", d.rows},
                    {"recorded", d.recorded},
                    {"computed", d.computed},
                    {"ok", d.ok},
                    {"problem", d.problem}});
  return {{"path", r.path}, {"run_id", r.run_id},     {"complete", r.complete},
          {"ok", r.ok()},   {"failures", r.failures}, {"datasets", sets}};
}

} // namespace dxhub::actors
