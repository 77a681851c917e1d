#pragma once

// Thin RAII over the HDF5 C library for the recording files (actors only;
// never included by a public header). Every call that can fail is turned
// into an error value carrying HDF5's own description (its error stack,
// errno text included: "No space left on device"); HDF5 never prints.

#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/expected.hpp"

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace dxhub::actors::detail {

/// An owned HDF5 identifier, closed with the close function of its kind.
class h5_id {
public:
  using closer = herr_t (*)(hid_t);

  h5_id() = default;
  h5_id(hid_t id, closer close) noexcept : id_(id), close_(close) {}
  h5_id(h5_id&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  h5_id& operator=(h5_id&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  h5_id(const h5_id&) = delete;
  h5_id& operator=(const h5_id&) = delete;
  ~h5_id() { reset(); }

  hid_t get() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ >= 0; }

  /// Closes now; returns false when HDF5 reported a failure (e.g. a flush
  /// at close that hit a full disk).
  bool reset() noexcept {
    bool ok = true;
    if (id_ >= 0 && close_ != nullptr)
      ok = close_(id_) >= 0;
    id_ = H5I_INVALID_HID;
    return ok;
  }

private:
  hid_t id_ = H5I_INVALID_HID;
  closer close_ = nullptr;
};

/// Turns off HDF5's printing of error stacks (per thread in a thread-safe
/// build, so every thread that calls HDF5 calls this first).
void h5_quiet() noexcept;

/// An error for a failed HDF5 call `what`: the innermost descriptions of
/// HDF5's error stack appended; `code` is refined from errno when HDF5 saw
/// one (ENOSPC, EACCES, ...).
error h5_error(std::string what, errc code = errc::system_error);

/// Checks an identifier or status returned by HDF5.
inline expected<h5_id> h5_check(hid_t id, h5_id::closer close, const std::string& what) {
  if (id < 0)
    return h5_error(what);
  return h5_id{id, close};
}
inline expected<void> h5_check(herr_t status, const std::string& what) {
  if (status < 0)
    return h5_error(what);
  return ok();
}

/// A file access property list for recordings: the latest file format
/// (needed for SWMR) and no file locking (live readers open files a writer
/// holds; HDF5 1.10's flock would refuse them).
expected<h5_id> h5_file_access();

/// The HDF5 type a field of `t` is stored as (little-endian; complex as
/// the compound {r, i} numpy and h5py read as complex).
expected<h5_id> h5_type_of(dtype t);

/// A fixed-length, NUL-padded string type of `bytes` bytes.
expected<h5_id> h5_fixed_string(std::size_t bytes);

// -- attributes -----------------------------------------------------------------

/// Writes (or replaces) a UTF-8 text attribute.
expected<void> h5_set_text(hid_t obj, const std::string& name, const std::string& value);
/// Writes (or replaces) a signed integer attribute.
expected<void> h5_set_int(hid_t obj, const std::string& name, int64_t value);
/// Writes (or replaces) an attribute holding a vector of unsigned integers.
expected<void> h5_set_uints(hid_t obj, const std::string& name, std::span<const uint64_t> value);

/// Reads a text attribute (variable- or fixed-length).
expected<std::string> h5_get_text(hid_t obj, const std::string& name);
/// Reads an integer attribute.
expected<int64_t> h5_get_int(hid_t obj, const std::string& name);
/// Whether `obj` has attribute `name`.
bool h5_has_attr(hid_t obj, const std::string& name);

// -- datasets -----------------------------------------------------------------

/// The current extents of a dataset.
expected<std::vector<hsize_t>> h5_extent(hid_t dataset);

/// Reads `count` rows from `first` of a dataset whose rows are `row_bytes`
/// bytes of type `mem_type`, into `out` (count * row_bytes bytes).
expected<void> h5_read_rows(hid_t dataset, hid_t mem_type, uint64_t first, uint64_t count,
                            std::span<std::byte> out);

} // namespace dxhub::actors::detail
