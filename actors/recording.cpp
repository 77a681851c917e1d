#include "dxhub/actors/recording.hpp"

#include "dxhub/actors/detail/hdf5.hpp"
#include "dxhub/actors/detail/recording_layout.hpp"
#include "dxhub/actors/detail/sha256.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#include <nlohmann/json.hpp>

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <unistd.h>

#ifndef DXHUB_VERSION_STRING
#define DXHUB_VERSION_STRING "unknown"
#endif

namespace dxhub::actors {

using detail::h5_check;
using detail::h5_error;
using detail::h5_id;

namespace {

/// Chunks of the tables hold about this many bytes.
constexpr std::size_t table_chunk_bytes = 64 << 10;

/// Free space on the file's file system that frames never take: committing
/// and closing the file need room for metadata. HDF5 1.10 cannot close a file
/// whose last flush fails: H5Fclose fails, the file stays registered with its
/// metadata, and at exit the library loops over it ("infinite loop closing
/// library") and leaks it.
constexpr uint64_t close_reserve_bytes = 256 << 10;

/// Bytes the file system of `path` has free for us, or nothing when unknown.
std::optional<uint64_t> free_bytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0)
    return std::nullopt;
  return uint64_t{fs.f_bavail} * fs.f_frsize;
}

std::string random_run_id() {
  std::random_device rd;
  std::mt19937_64 gen{(uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(wall_ns())};
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(gen()));
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0)
    return "unknown";
  return name;
}

/// A dataset whose rows are appended, with the digest of every row so far.
struct dataset_entry {
  std::string path;
  h5_id handle;
  h5_id type;
  std::vector<hsize_t> row_dims;
  uint64_t row_bytes = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  /// Whole rows go to the file as chunks (no filter, one row per chunk).
  bool direct = false;
  detail::sha256 digest;
};

struct channel_entry {
  std::string group;
  frame_schema schema;
  std::vector<field_location> locations;
  std::vector<std::size_t> fields;
  std::size_t header = 0;
  channel_summary summary;
  bool have_last = false;
  uint64_t last_session = 0;
  uint64_t last_sequence = 0;
  /// Set after a write failed half-way: the channel's datasets no longer
  /// line up, so it takes no more frames.
  std::string broken;
};

expected<h5_id> link_create() {
  DXHUB_TRY(lcpl, h5_check(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate link"));
  DXHUB_TRYV(h5_check(H5Pset_create_intermediate_group(lcpl.get(), 1), "intermediate groups"));
  return lcpl;
}

} // namespace

run_provenance provenance_of_this_process() {
  run_provenance p;
  p.run_id = random_run_id();
  p.host = host_name();
  p.dxhub_version = DXHUB_VERSION_STRING;
  p.started_wall_ns = wall_ns();
  if (const char* file = std::getenv("DXHUB_DEPLOYMENT_FILE"); file != nullptr && *file != '\0') {
    p.deployment_file = file;
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    p.deployment = text.str();
  }
  return p;
}

struct recording_writer::impl {
  recording_options opts;
  h5_id fapl;
  h5_id file;
  h5_id manifest;
  std::vector<std::unique_ptr<dataset_entry>> datasets;
  std::size_t commands = 0;
  std::size_t events = 0;
  std::map<std::string, channel_entry> channels;
  bool swmr = false;
  bool closed = false;
  int64_t created_ns = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  std::vector<std::byte> row;
  /// Free bytes of the file system, as last asked, less what was written since.
  uint64_t free_estimate = 0;

  ~impl() {
    if (!closed)
      (void)close("destroyed");
  }

  // -- structure ----------------------------------------------------------------

  expected<std::size_t> create_dataset(const std::string& path, h5_id type,
                                       std::vector<hsize_t> row_dims, hsize_t chunk_rows,
                                       int deflate) {
    auto e = std::make_unique<dataset_entry>();
    e->path = path;
    e->row_dims = std::move(row_dims);
    e->row_bytes = H5Tget_size(type.get());
    for (auto d : e->row_dims)
      e->row_bytes *= d;
    std::vector<hsize_t> dims{0}, max{H5S_UNLIMITED}, chunk{chunk_rows};
    for (auto d : e->row_dims) {
      dims.push_back(d);
      max.push_back(d);
      chunk.push_back(std::max<hsize_t>(d, 1));
    }
    DXHUB_TRY(space,
              h5_check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max.data()),
                       H5Sclose, "H5Screate_simple " + path));
    DXHUB_TRY(dcpl, h5_check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate dataset"));
    DXHUB_TRYV(h5_check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
                        "H5Pset_chunk " + path));
    DXHUB_TRYV(h5_check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time"));
    if (deflate > 0) {
      DXHUB_TRYV(h5_check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle"));
      DXHUB_TRYV(
          h5_check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(deflate)), "H5Pset_deflate"));
    }
    e->direct = deflate == 0 && chunk_rows == 1;
    DXHUB_TRY(lcpl, link_create());
    DXHUB_TRY(handle, h5_check(H5Dcreate2(file.get(), path.c_str(), type.get(), space.get(),
                                          lcpl.get(), dcpl.get(), H5P_DEFAULT),
                               H5Dclose, "cannot create dataset " + path));
    e->handle = std::move(handle);
    e->type = std::move(type);
    datasets.push_back(std::move(e));
    return datasets.size() - 1;
  }

  expected<std::size_t> create_table(const std::string& path, const detail::table_layout& t) {
    DXHUB_TRY(type, t.type());
    hsize_t rows = std::max<std::size_t>(1, table_chunk_bytes / t.row_bytes());
    return create_dataset(path, std::move(type), {}, rows, 0);
  }

  expected<void> write_run_attributes() {
    const auto& r = opts.run;
    auto root = file.get();
    DXHUB_TRYV(detail::h5_set_text(root, "dxhub_format", detail::format_name));
    DXHUB_TRYV(detail::h5_set_int(root, "format_version", detail::format_version));
    DXHUB_TRYV(detail::h5_set_text(root, "run_id", r.run_id));
    DXHUB_TRYV(detail::h5_set_text(root, "host", r.host));
    DXHUB_TRYV(detail::h5_set_text(root, "dxhub_version", r.dxhub_version));
    DXHUB_TRYV(detail::h5_set_text(root, "deployment_file", r.deployment_file));
    DXHUB_TRYV(detail::h5_set_text(root, "deployment", r.deployment));
    DXHUB_TRYV(detail::h5_set_text(root, "replay_of", r.replay_of));
    DXHUB_TRYV(detail::h5_set_int(root, "started_wall_ns", r.started_wall_ns));
    DXHUB_TRYV(detail::h5_set_text(root, "started", iso8601(r.started_wall_ns)));
    DXHUB_TRYV(detail::h5_set_int(root, "complete", 0));
    DXHUB_TRYV(detail::h5_set_text(root, "status", "recording"));
    return write_channel_list();
  }

  /// The root attribute `channels`: JSON [{channel, group}], how readers
  /// find the channel groups.
  expected<void> write_channel_list() {
    auto list = nlohmann::json::array();
    for (const auto& [name, ch] : channels)
      list.push_back({{"channel", name}, {"group", ch.group}});
    return detail::h5_set_text(file.get(), "channels", list.dump());
  }

  expected<void> open_file(unsigned flags) {
    DXHUB_TRY(f, h5_check(H5Fopen(opts.path.c_str(), flags, fapl.get()), H5Fclose,
                          "cannot reopen recording " + opts.path));
    file = std::move(f);
    for (auto& d : datasets) {
      DXHUB_TRY(h, h5_check(H5Dopen2(file.get(), d->path.c_str(), H5P_DEFAULT), H5Dclose,
                            "cannot reopen " + d->path));
      d->handle = std::move(h);
    }
    DXHUB_TRY(m, h5_check(H5Dopen2(file.get(), detail::manifest_path, H5P_DEFAULT), H5Dclose,
                          "cannot reopen the manifest"));
    manifest = std::move(m);
    return ok();
  }

  expected<void> close_file() {
    bool clean = true;
    for (auto& d : datasets)
      clean = d->handle.reset() && clean;
    clean = manifest.reset() && clean;
    clean = file.reset() && clean;
    if (!clean)
      return h5_error("closing " + opts.path);
    return ok();
  }

  /// SWMR writers may not create objects or attributes: leave SWMR by
  /// closing and reopening the file.
  expected<void> leave_swmr() {
    if (!swmr)
      return ok();
    swmr = false;
    DXHUB_TRYV(close_file());
    return open_file(H5F_ACC_RDWR);
  }

  bool time_to_go_live() const {
    if (monotonic_ns() - created_ns >= opts.live_after.count() * 1'000'000)
      return true;
    for (const auto& c : opts.channels)
      if (channels.count(c) == 0)
        return false;
    return true;
  }

  const channel_format& format_of(const std::string& channel) const {
    static const channel_format none;
    if (auto it = opts.formats.find(channel); it != opts.formats.end())
      return it->second;
    if (auto it = opts.formats.find(""); it != opts.formats.end())
      return it->second;
    return none;
  }

  expected<channel_entry*> add_channel(const std::string& name, const frame_schema& schema) {
    DXHUB_TRYV(schema.validate());
    DXHUB_TRYV(leave_swmr());
    channel_entry ch;
    ch.group = std::string{detail::channels_group} + "/" + name;
    ch.schema = schema;
    ch.summary.channel = name;
    const auto& fmt = format_of(name);
    DXHUB_TRY(lcpl, link_create());
    DXHUB_TRY(
        group,
        h5_check(H5Gcreate2(file.get(), ch.group.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                 H5Gclose, "cannot create group " + ch.group + " for channel " + name));
    DXHUB_TRYV(detail::h5_set_text(group.get(), "channel", name));
    DXHUB_TRYV(detail::h5_set_text(group.get(), "schema", encode_json(schema)));
    DXHUB_TRYV(detail::h5_set_text(group.get(), "schema_name", schema.name));
    DXHUB_TRYV(detail::h5_set_int(group.get(), "schema_version", schema.version));
    DXHUB_TRYV(detail::h5_set_text(group.get(), "schema_id", to_string(schema.id())));
    DXHUB_TRYV(detail::h5_set_int(group.get(), "deflate", fmt.deflate));
    for (const auto& f : schema.fields) {
      DXHUB_TRY(loc, schema.locate(f.name));
      ch.locations.push_back(loc);
      DXHUB_TRY(type, detail::h5_type_of(f.type));
      std::vector<hsize_t> dims(f.dims.extents().begin(), f.dims.extents().end());
      auto path = ch.group + "/fields/" + f.name;
      DXHUB_TRY(index, create_dataset(path, std::move(type), dims, 1, fmt.deflate));
      auto h = datasets[index]->handle.get();
      DXHUB_TRYV(detail::h5_set_text(h, "field", f.name));
      DXHUB_TRYV(detail::h5_set_text(h, "dtype", std::string{name_of(f.type)}));
      DXHUB_TRYV(detail::h5_set_uints(h, "shape", f.dims.extents()));
      auto unit = fmt.units.find(f.name);
      DXHUB_TRYV(detail::h5_set_text(h, "units", unit == fmt.units.end() ? "" : unit->second));
      ch.fields.push_back(index);
    }
    DXHUB_TRY(header, create_table(ch.group + "/header", detail::header_table()));
    ch.header = header;
    auto [it, added] = channels.emplace(name, std::move(ch));
    DXHUB_TRYV(write_channel_list());
    return &it->second;
  }

  static std::string_view name_of(dtype t) { return dxhub::name(t); }

  // -- rows ---------------------------------------------------------------------

  expected<void> append(dataset_entry& d, std::span<const std::byte> data) {
    std::vector<hsize_t> dims{d.rows + 1};
    dims.insert(dims.end(), d.row_dims.begin(), d.row_dims.end());
    DXHUB_TRYV(h5_check(H5Dset_extent(d.handle.get(), dims.data()), "extend " + d.path));
    if (d.row_bytes > 0) {
      std::vector<hsize_t> start(dims.size(), 0);
      start[0] = d.rows;
      if (d.direct) {
        DXHUB_TRYV(h5_check(
            H5Dwrite_chunk(d.handle.get(), H5P_DEFAULT, 0, start.data(), d.row_bytes, data.data()),
            "write " + d.path));
      } else {
        auto count = dims;
        count[0] = 1;
        DXHUB_TRY(fspace, h5_check(H5Dget_space(d.handle.get()), H5Sclose, "H5Dget_space"));
        DXHUB_TRYV(h5_check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr,
                                                count.data(), nullptr),
                            "select " + d.path));
        DXHUB_TRY(mspace,
                  h5_check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                           H5Sclose, "H5Screate_simple"));
        DXHUB_TRYV(h5_check(H5Dwrite(d.handle.get(), d.type.get(), mspace.get(), fspace.get(),
                                     H5P_DEFAULT, data.data()),
                            "write " + d.path));
      }
    }
    d.digest.update(data.first(d.row_bytes));
    ++d.rows;
    d.bytes += d.row_bytes;
    return ok();
  }

  /// Refuses `n` more bytes of rows when they would leave less than
  /// close_reserve_bytes free: the frame is lost, the file stays closeable.
  /// Asks the file system again only when the estimate runs low (and at
  /// every commit).
  expected<void> make_room(uint64_t n) {
    if (free_estimate < n + close_reserve_bytes) {
      auto fresh = free_bytes(opts.path);
      if (!fresh)
        return ok(); // unknown: HDF5 reports a full disk itself
      free_estimate = *fresh;
      if (free_estimate < n + close_reserve_bytes)
        return error{errc::system_error, "write " + opts.path + ": " + std::strerror(ENOSPC) + " ("
                                             + std::to_string(free_estimate) + " bytes free, "
                                             + std::to_string(close_reserve_bytes)
                                             + " kept to close the file)"};
    }
    free_estimate -= n;
    return ok();
  }

  expected<void> write_frame(const std::string& name, const frame_schema& schema,
                             const frame_header& h, std::span<const std::byte> payload,
                             int64_t recorded_ns) {
    if (closed)
      return error{errc::invalid_argument, opts.path + " is closed"};
    auto it = channels.find(name);
    channel_entry* ch = nullptr;
    if (it == channels.end()) {
      DXHUB_TRY(added, add_channel(name, schema));
      ch = added;
    } else {
      ch = &it->second;
    }
    if (!ch->broken.empty()) {
      ++ch->summary.refused;
      return error{errc::system_error, "channel " + name + " stopped recording: " + ch->broken};
    }
    if (!(schema == ch->schema)) {
      ++ch->summary.refused;
      return error{errc::schema_mismatch, "channel " + name + " changed its schema (session "
                                              + std::to_string(h.session) + "): recorded "
                                              + to_string(ch->schema.id()) + ", now "
                                              + to_string(schema.id())};
    }
    for (std::size_t i = 0; i < ch->fields.size(); ++i)
      if (ch->locations[i].offset + ch->locations[i].bytes > payload.size())
        return error{errc::truncated_message, "frame of " + name + " shorter than its schema"};
    detail::header_row r;
    r.header = h;
    r.recorded_ns = recorded_ns;
    r.new_session = !ch->have_last || h.session != ch->last_session;
    if (!r.new_session && h.sequence > ch->last_sequence + 1)
      r.missed = h.sequence - ch->last_sequence - 1;
    row.resize(detail::header_table().row_bytes());
    detail::encode(r, row);
    uint64_t frame_bytes = row.size();
    for (std::size_t i = 0; i < ch->fields.size(); ++i)
      frame_bytes += datasets[ch->fields[i]]->row_bytes;
    if (auto room = make_room(frame_bytes); !room) {
      ++ch->summary.refused;
      return room;
    }
    for (std::size_t i = 0; i < ch->fields.size(); ++i) {
      auto& d = *datasets[ch->fields[i]];
      auto done = append(d, payload.subspan(ch->locations[i].offset, ch->locations[i].bytes));
      if (!done) {
        if (i > 0)
          ch->broken = done.error().what();
        return done;
      }
    }
    // The header row last: a reader counts frames by header rows.
    if (auto done = append(*datasets[ch->header], row); !done) {
      if (!ch->fields.empty())
        ch->broken = done.error().what();
      return done;
    }
    ch->summary.frames++;
    ch->summary.missed += r.missed;
    ch->summary.sessions += r.new_session ? 1 : 0;
    ch->have_last = true;
    ch->last_session = h.session;
    ch->last_sequence = h.sequence;
    ++frames;
    bytes += payload.size();
    return ok();
  }

  expected<void> write_record(const audit_record& rec) {
    if (closed)
      return error{errc::invalid_argument, opts.path + " is closed"};
    bool command = rec.kind == "command";
    const auto& layout = command ? detail::command_table_layout() : detail::event_table();
    row.resize(layout.row_bytes());
    DXHUB_TRYV(make_room(row.size()));
    if (command)
      detail::encode_command(rec, row);
    else
      detail::encode_event(rec, row);
    return append(*datasets[command ? commands : events], row);
  }

  // -- commit and close -----------------------------------------------------------

  expected<void> write_manifest() {
    const auto& t = detail::manifest_table();
    std::vector<std::byte> rows(t.row_bytes() * datasets.size());
    for (std::size_t i = 0; i < datasets.size(); ++i) {
      const auto& d = *datasets[i];
      detail::row_writer w{t, std::span{rows}.subspan(i * t.row_bytes(), t.row_bytes())};
      w.text(d.path).u64(d.rows).u64(d.bytes).text(d.digest.hex());
    }
    hsize_t n = datasets.size();
    DXHUB_TRYV(h5_check(H5Dset_extent(manifest.get(), &n), "extend the manifest"));
    DXHUB_TRY(type, t.type());
    return h5_check(
        H5Dwrite(manifest.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()),
        "write the manifest");
  }

  expected<void> commit() {
    if (closed)
      return ok();
    free_estimate = 0; // ask the file system again at the next row
    DXHUB_TRYV(write_manifest());
    DXHUB_TRYV(h5_check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flush " + opts.path));
    if (!swmr && time_to_go_live()) {
      DXHUB_TRYV(h5_check(H5Fstart_swmr_write(file.get()), "start SWMR on " + opts.path));
      swmr = true;
    }
    return ok();
  }

  expected<void> close(const std::string& reason) {
    if (closed)
      return ok();
    auto committed = commit();
    auto finished = [&]() -> expected<void> {
      DXHUB_TRYV(leave_swmr());
      auto root = file.get();
      auto now = wall_ns();
      DXHUB_TRYV(detail::h5_set_int(root, "stopped_wall_ns", now));
      DXHUB_TRYV(detail::h5_set_text(root, "stopped", iso8601(now)));
      DXHUB_TRYV(detail::h5_set_text(root, "stop_reason", reason));
      DXHUB_TRYV(detail::h5_set_int(root, "frames", static_cast<int64_t>(frames)));
      if (committed) {
        DXHUB_TRYV(detail::h5_set_int(root, "complete", 1));
        DXHUB_TRYV(detail::h5_set_text(root, "status", "complete"));
      } else {
        DXHUB_TRYV(detail::h5_set_text(root, "status", "incomplete: " + committed.error().what()));
      }
      return close_file();
    }();
    closed = true;
    (void)close_file();
    if (!committed)
      return committed;
    return finished;
  }
};

recording_writer::recording_writer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
recording_writer::recording_writer(recording_writer&&) noexcept = default;
recording_writer& recording_writer::operator=(recording_writer&&) noexcept = default;
recording_writer::~recording_writer() = default;

expected<recording_writer> recording_writer::create(recording_options options) {
  detail::h5_quiet();
  if (options.path.empty())
    return error{errc::invalid_argument, "no recording path"};
  if (options.run.run_id.empty())
    options.run = provenance_of_this_process();
  auto p = std::make_unique<impl>();
  p->opts = std::move(options);
  p->created_ns = monotonic_ns();
  p->closed = true; // until the file is whole
  DXHUB_TRY(fapl, detail::h5_file_access());
  p->fapl = std::move(fapl);
  DXHUB_TRY(file,
            h5_check(H5Fcreate(p->opts.path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, p->fapl.get()),
                     H5Fclose, "cannot create recording " + p->opts.path));
  p->file = std::move(file);
  DXHUB_TRYV(p->write_run_attributes());
  DXHUB_TRY(lcpl, link_create());
  DXHUB_TRY(group, h5_check(H5Gcreate2(p->file.get(), detail::channels_group, lcpl.get(),
                                       H5P_DEFAULT, H5P_DEFAULT),
                            H5Gclose, "cannot create " + std::string{detail::channels_group}));
  (void)group;
  DXHUB_TRY(commands, p->create_table(detail::commands_path, detail::command_table_layout()));
  DXHUB_TRY(events, p->create_table(detail::events_path, detail::event_table()));
  p->commands = commands;
  p->events = events;
  {
    const auto& t = detail::manifest_table();
    DXHUB_TRY(type, t.type());
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = 64;
    DXHUB_TRY(space, h5_check(H5Screate_simple(1, &zero, &unlimited), H5Sclose, "manifest space"));
    DXHUB_TRY(dcpl, h5_check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate"));
    DXHUB_TRYV(h5_check(H5Pset_chunk(dcpl.get(), 1, &chunk), "H5Pset_chunk"));
    DXHUB_TRY(m, h5_check(H5Dcreate2(p->file.get(), detail::manifest_path, type.get(), space.get(),
                                     H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                          H5Dclose, "cannot create the manifest"));
    p->manifest = std::move(m);
  }
  p->closed = false;
  DXHUB_TRYV(p->commit());
  return recording_writer{std::move(p)};
}

expected<void> recording_writer::write(const std::string& channel, const frame_schema& schema,
                                       const frame_header& header,
                                       std::span<const std::byte> payload, int64_t recorded_ns) {
  return impl_->write_frame(channel, schema, header, payload, recorded_ns);
}

expected<void> recording_writer::write(const audit_record& record) {
  return impl_->write_record(record);
}

expected<void> recording_writer::commit() {
  return impl_->commit();
}

expected<void> recording_writer::close(const std::string& stop_reason) {
  return impl_->close(stop_reason);
}

bool recording_writer::live() const noexcept {
  return impl_->swmr;
}

const std::string& recording_writer::path() const noexcept {
  return impl_->opts.path;
}

const run_provenance& recording_writer::run() const noexcept {
  return impl_->opts.run;
}

uint64_t recording_writer::frames() const noexcept {
  return impl_->frames;
}

uint64_t recording_writer::bytes() const noexcept {
  return impl_->bytes;
}

std::vector<channel_summary> recording_writer::channels() const {
  std::vector<channel_summary> out;
  for (const auto& [name, ch] : impl_->channels)
    out.push_back(ch.summary);
  return out;
}

} // namespace dxhub::actors
