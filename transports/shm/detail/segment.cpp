#include "dxhub/transports/shm/detail/segment.hpp"

#include "dxhub/schemas/serialization.hpp"
#include "dxhub/transports/shm/detail/futex.hpp"

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/permissions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <grp.h>
#include <map>
#include <mutex>
#include <pwd.h>
#include <thread>
#include <type_traits>
#include <unistd.h>

namespace bip = boost::interprocess;

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace dxhub::shm::detail {

namespace {

// Writable mappings of this process, by (device, inode) of the segment file.
struct mapping_cache {
  std::mutex mtx;
  std::map<std::pair<dev_t, ino_t>, std::weak_ptr<segment>> entries;
};

mapping_cache& cache() {
  static auto* instance = new mapping_cache; // never destroyed: used from static destructors
  return *instance;
}

error from_interprocess(const bip::interprocess_exception& e, const std::string& name,
                        std::string_view action) {
  auto context = "segment '" + name + "': " + std::string{action} + ": " + e.what();
  switch (e.get_error_code()) {
    case bip::not_found_error:
      return error{errc::segment_not_found, context};
    case bip::already_exists_error:
      return error{errc::already_exists, context};
    case bip::security_error:
      return error{errc::permission_denied, context};
    default:
      if (e.get_native_error() == EACCES || e.get_native_error() == EPERM)
        return error{errc::permission_denied, context};
      if (e.get_native_error() == ENOENT)
        return error{errc::segment_not_found, context};
      return error{errc::system_error, context};
  }
}

// Maps every page now, so that no publish or take pays a page fault later
// (expensive in VMs). Best effort: older kernels lack the advice.
void prefault(void* base, std::size_t bytes, bool writable) noexcept {
  ::madvise(base, bytes, writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The sizes and offsets of a header, read once each: another participant
// may write the header while we look at it.
struct header_copy {
  uint32_t layout_version, header_bytes, chunk_count, max_subscribers, ring_capacity, held_words,
      schema_blob_bytes;
  uint64_t total_bytes, chunk_capacity, chunk_stride, chunk_header_size, subscribers_offset,
      held_offset, held_stride, rings_offset, ring_stride, chunks_offset;
};

header_copy copy_of(const segment_header& h) {
  auto once = [](const auto& field) {
    using T = std::remove_cvref_t<decltype(field)>;
    return std::atomic_ref<T>{const_cast<T&>(field)}.load(std::memory_order_relaxed);
  };
  return header_copy{
      once(h.layout_version),    once(h.header_bytes),      once(h.chunk_count),
      once(h.max_subscribers),   once(h.ring_capacity),     once(h.held_words),
      once(h.schema_blob_bytes), once(h.total_bytes),       once(h.chunk_capacity),
      once(h.chunk_stride),      once(h.chunk_header_size), once(h.subscribers_offset),
      once(h.held_offset),       once(h.held_stride),       once(h.rings_offset),
      once(h.ring_stride),       once(h.chunks_offset)};
}

// Checks a mapped header against the mapping's size and returns the layout
// it describes; `problem` says whether a publisher may recycle it.
expected<layout> validate(const std::string& name, const segment_header& header, uint64_t size,
                          open_problem& problem) {
  auto fail = [&](errc code, std::string what) -> expected<layout> {
    problem = open_problem::invalid;
    return error{code, "segment '" + name + "' " + what};
  };
  auto magic = header.magic.load(std::memory_order_acquire);
  if (magic == 0) {
    problem = open_problem::uninitialized;
    return error{errc::foreign_segment,
                 "segment '" + name + "' was never initialized (its creator died?)"};
  }
  if (magic != segment_magic)
    return fail(errc::foreign_segment, "is not a dxhub channel segment (magic " + hex(magic)
                                           + ", want " + hex(segment_magic) + ")");
  auto h = copy_of(header);
  if (h.layout_version != layout_version)
    return fail(errc::layout_mismatch,
                "has layout version " + std::to_string(h.layout_version)
                    + ", this library reads version " + std::to_string(layout_version)
                    + " (made by another dxhub version: once no process of that version uses it, "
                      "remove /dev/shm/"
                    + name + ")");
  if (h.header_bytes != sizeof(segment_header))
    return fail(errc::layout_mismatch, "has a header of " + std::to_string(h.header_bytes)
                                           + " bytes, want "
                                           + std::to_string(sizeof(segment_header)));
  if (h.chunk_count == 0 || h.max_subscribers == 0 || h.ring_capacity == 0
      || h.chunk_count > (1u << 20) || h.max_subscribers > max_rows || h.ring_capacity > 65536
      || h.chunk_capacity == 0 || h.chunk_capacity > (uint64_t{1} << 40)
      || h.schema_blob_bytes > schema_blob_capacity)
    return fail(errc::layout_mismatch, "has limits outside the valid range");
  auto want = layout::compute(h.chunk_capacity, h.chunk_count, h.max_subscribers, h.ring_capacity);
  if (want.held_words != h.held_words || want.chunk_stride != h.chunk_stride
      || want.subscribers_offset != h.subscribers_offset || want.held_offset != h.held_offset
      || want.held_stride != h.held_stride || want.rings_offset != h.rings_offset
      || want.ring_stride != h.ring_stride || want.chunks_offset != h.chunks_offset
      || want.total_bytes != h.total_bytes || h.chunk_header_size != chunk_header_bytes)
    return fail(errc::layout_mismatch, "has offsets that do not follow from its sizes");
  if (want.total_bytes > size)
    return fail(errc::segment_too_small, "has " + std::to_string(size) + " bytes, its header needs "
                                             + std::to_string(want.total_bytes));
  return want;
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%03o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string describe_group(gid_t gid) {
  std::string out = "gid " + std::to_string(gid);
  if (auto* gr = ::getgrgid(gid))
    out += std::string{" ("} + gr->gr_name + ")";
  return out;
}

// Refuses a segment file another user made, or one more open than configured.
expected<void> check_access(const std::string& name, const struct stat& st, const access_rule& rule,
                            open_problem& problem) {
  auto mode = static_cast<mode_t>(st.st_mode & 07777);
  auto refuse = [&](std::string why) -> expected<void> {
    problem = open_problem::foreign_owner;
    return error{errc::permission_denied,
                 "segment '" + name + "' is owned by " + describe_user(st.st_uid) + ", "
                     + describe_group(st.st_gid) + " with mode " + octal(mode) + ": " + why};
  };
  if (st.st_uid != rule.owner)
    return refuse("expected owner " + describe_user(rule.owner)
                  + " (someone else may have created it to read or forge frames)");
  if (rule.group && st.st_gid != *rule.group)
    return refuse("expected group " + describe_group(*rule.group));
  if ((mode & ~rule.max_mode) != 0)
    return refuse("mode is wider than the configured " + octal(rule.max_mode));
  return ok();
}

} // namespace

std::string describe_user(uid_t uid) {
  std::string out = "uid " + std::to_string(uid);
  if (auto* pw = ::getpwuid(uid))
    out += std::string{" ("} + pw->pw_name + ")";
  return out;
}

expected<std::shared_ptr<segment>> segment::open(const std::string& name, bool writable,
                                                 open_problem* problem, const access_rule* rule) {
  open_problem local = open_problem::none;
  auto& why = problem != nullptr ? *problem : local;
  why = open_problem::none;
  auto mode = writable ? bip::read_write : bip::read_only;
  // A segment being created has size 0 or no magic for a moment: retry briefly.
  auto deadline = monotonic_ns() + 500'000'000;
  for (;;) {
    std::optional<bip::shared_memory_object> shm;
    try {
      shm.emplace(bip::open_only, name.c_str(), mode);
    } catch (const bip::interprocess_exception& e) {
      auto err = from_interprocess(e, name, "open");
      if (err.code == errc::segment_not_found)
        why = open_problem::missing;
      return err;
    }
    struct stat st {};
    if (fstat(shm->get_mapping_handle().handle, &st) != 0)
      return last_system_error("fstat of segment '" + name + "'");
    if (rule != nullptr)
      DXHUB_TRYV(check_access(name, st, *rule, why));
    auto size = static_cast<uint64_t>(st.st_size);
    if (size < sizeof(segment_header)) {
      if (monotonic_ns() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      why = size == 0 ? open_problem::uninitialized : open_problem::invalid;
      return error{errc::segment_too_small, "segment '" + name + "' has " + std::to_string(size)
                                                + " bytes, less than a header ("
                                                + std::to_string(sizeof(segment_header)) + ")"};
    }
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (writable) {
      std::lock_guard<std::mutex> guard{cache().mtx};
      if (auto it = cache().entries.find(key); it != cache().entries.end())
        if (auto existing = it->second.lock()) {
          // Shared mapping, but the file may have been changed since: check again.
          DXHUB_TRY(shape, validate(name, existing->header(), size, why));
          if (shape.total_bytes != existing->shape_.total_bytes
              || shape.chunk_count != existing->shape_.chunk_count
              || shape.max_subscribers != existing->shape_.max_subscribers
              || shape.ring_capacity != existing->shape_.ring_capacity)
            return error{errc::layout_mismatch,
                         "segment '" + name + "' changed its sizes since this process mapped it"};
          return existing;
        }
    }
    std::shared_ptr<segment> seg{new segment};
    seg->name_ = name;
    seg->mode_ = st.st_mode & 07777;
    seg->group_ = st.st_gid;
    seg->owner_ = st.st_uid;
    seg->dev_ = st.st_dev;
    seg->ino_ = st.st_ino;
    try {
      seg->region_ = bip::mapped_region(*shm, mode, 0, size);
    } catch (const bip::interprocess_exception& e) {
      return from_interprocess(e, name, "map");
    }
    seg->base_ = static_cast<std::byte*>(seg->region_.get_address());
    seg->guard_.arm(seg->base_, size);
    auto valid = validate(name, seg->header(), size, why);
    if (!valid) {
      if (why == open_problem::uninitialized && monotonic_ns() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      return valid.error();
    }
    seg->shape_ = valid.value();
    if (writable) {
      prefault(seg->base_, seg->shape_.total_bytes, true);
      std::lock_guard<std::mutex> guard{cache().mtx};
      auto& slot = cache().entries[key];
      if (auto existing = slot.lock())
        return existing;
      slot = seg;
    }
    return seg;
  }
}

expected<std::shared_ptr<segment>> segment::create(const std::string& name,
                                                   const frame_schema& schema, const layout& shape,
                                                   const channel_options& options) {
  auto blob = encode_binary(schema);
  if (blob.size() > schema_blob_capacity)
    return error{errc::frame_too_large, "frame schema '" + schema.name + "' encodes to "
                                            + std::to_string(blob.size()) + " bytes, more than "
                                            + std::to_string(schema_blob_capacity)};
  if (schema.name.size() >= schema_name_capacity)
    return error{errc::invalid_argument, "frame schema name is longer than 127 bytes"};
  std::optional<bip::shared_memory_object> shm;
  try {
    shm.emplace(bip::create_only, name.c_str(), bip::read_write,
                bip::permissions{static_cast<int>(options.mode)});
  } catch (const bip::interprocess_exception& e) {
    return from_interprocess(e, name, "create");
  }
  int fd = shm->get_mapping_handle().handle;
  auto undo = [&](error err) -> expected<std::shared_ptr<segment>> {
    bip::shared_memory_object::remove(name.c_str());
    return err;
  };
  // The umask must not widen or narrow what the caller asked for.
  if (fchmod(fd, options.mode) != 0)
    return undo(last_system_error("fchmod of segment '" + name + "'"));
  if (options.group && fchown(fd, static_cast<uid_t>(-1), *options.group) != 0)
    return undo(last_system_error("fchown of segment '" + name + "' to group "
                                  + std::to_string(*options.group)));
  std::shared_ptr<segment> seg{new segment};
  seg->name_ = name;
  seg->mode_ = options.mode;
  try {
    shm->truncate(static_cast<bip::offset_t>(shape.total_bytes));
    seg->region_ = bip::mapped_region(*shm, bip::read_write);
  } catch (const bip::interprocess_exception& e) {
    return undo(from_interprocess(e, name, "size and map"));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return undo(last_system_error("fstat of segment '" + name + "'"));
  seg->group_ = st.st_gid;
  seg->owner_ = st.st_uid;
  seg->dev_ = st.st_dev;
  seg->ino_ = st.st_ino;
  seg->shape_ = shape;
  seg->base_ = static_cast<std::byte*>(seg->region_.get_address());
  seg->guard_.arm(seg->base_, shape.total_bytes);
  // The file is zero-filled: every atomic starts at 0, every row is free.
  auto& h = seg->header();
  h.layout_version = layout_version;
  h.header_bytes = sizeof(segment_header);
  h.total_bytes = shape.total_bytes;
  h.chunk_capacity = shape.chunk_capacity;
  h.chunk_stride = shape.chunk_stride;
  h.chunk_header_size = chunk_header_bytes;
  h.chunk_count = shape.chunk_count;
  h.max_subscribers = shape.max_subscribers;
  h.ring_capacity = shape.ring_capacity;
  h.held_words = shape.held_words;
  h.subscribers_offset = shape.subscribers_offset;
  h.held_offset = shape.held_offset;
  h.held_stride = shape.held_stride;
  h.rings_offset = shape.rings_offset;
  h.ring_stride = shape.ring_stride;
  h.chunks_offset = shape.chunks_offset;
  h.reliable_timeout_ms = static_cast<uint64_t>(options.reliable_timeout.count());
  auto id = schema.id();
  h.schema_hash = id.hash;
  h.schema_version = id.version;
  std::memcpy(h.schema_name, id.name.data(), id.name.size());
  h.schema_blob_bytes = static_cast<uint32_t>(blob.size());
  std::memcpy(h.schema_blob, blob.data(), blob.size());
  prefault(seg->base_, shape.total_bytes, true);
  h.magic.store(segment_magic, std::memory_order_release);
  std::lock_guard<std::mutex> guard{cache().mtx};
  cache().entries[std::make_pair(st.st_dev, st.st_ino)] = seg;
  return seg;
}

expected<frame_schema> segment::schema() const {
  auto& h = header();
  return decode_binary<frame_schema>(std::string_view{
      h.schema_blob, std::min<std::size_t>(h.schema_blob_bytes, schema_blob_capacity)});
}

schema_id segment::schema_identity() const {
  auto& h = header();
  auto len = ::strnlen(h.schema_name, schema_name_capacity);
  return schema_id{std::string{h.schema_name, len}, h.schema_version, h.schema_hash};
}

expected<void> unlink_segment(const std::string& name) {
  if (::shm_unlink(name.c_str()) != 0 && errno != ENOENT)
    return last_system_error("shm_unlink of segment '" + name + "'");
  return ok();
}

} // namespace dxhub::shm::detail
