#include "dxhub/actors/detail/hdf5.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>

namespace dxhub::actors::detail {

namespace {

herr_t collect(unsigned, const H5E_error2_t* e, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (e != nullptr && e->desc != nullptr && *e->desc != '\0')
    out->emplace_back(e->desc);
  return 0;
}

/// The errno HDF5 quoted in a description ("errno = 28, ..."), or 0.
int quoted_errno(std::string_view text) {
  auto at = text.find("errno = ");
  if (at == std::string_view::npos)
    return 0;
  return std::atoi(std::string{text.substr(at + 8, 6)}.c_str());
}

expected<void> drop_attr(hid_t obj, const std::string& name) {
  auto exists = H5Aexists(obj, name.c_str());
  if (exists < 0)
    return h5_error("H5Aexists " + name);
  if (exists > 0 && H5Adelete(obj, name.c_str()) < 0)
    return h5_error("H5Adelete " + name);
  return ok();
}

expected<void> write_attr(hid_t obj, const std::string& name, hid_t type, hid_t space,
                          const void* data) {
  DXHUB_TRYV(drop_attr(obj, name));
  DXHUB_TRY(attr, h5_check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                           H5Aclose, "H5Acreate " + name));
  return h5_check(H5Awrite(attr.get(), type, data), "H5Awrite " + name);
}

} // namespace

void h5_quiet() noexcept {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

error h5_error(std::string what, errc code) {
  std::vector<std::string> stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &stack);
  H5Eclear2(H5E_DEFAULT);
  int err = 0;
  for (const auto& line : stack)
    if (int e = quoted_errno(line); e != 0)
      err = e;
  if (err == EACCES || err == EPERM || err == EROFS)
    code = errc::permission_denied;
  if (err != 0)
    what += ": " + std::string{std::strerror(err)};
  if (!stack.empty()) {
    what += " (HDF5: " + stack.front();
    if (stack.size() > 1)
      what += "; " + stack.back();
    what += ")";
  }
  return error{code, std::move(what)};
}

expected<h5_id> h5_file_access() {
  DXHUB_TRY(fapl, h5_check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate file access"));
  DXHUB_TRYV(h5_check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST),
                      "H5Pset_libver_bounds"));
  DXHUB_TRYV(h5_check(H5Pset_file_locking(fapl.get(), false, true), "H5Pset_file_locking"));
  return fapl;
}

expected<h5_id> h5_type_of(dtype t) {
  auto copy = [](hid_t base) { return h5_check(H5Tcopy(base), H5Tclose, "H5Tcopy"); };
  switch (t) {
    case dtype::boolean:
    case dtype::u8:
      return copy(H5T_STD_U8LE);
    case dtype::i8:
      return copy(H5T_STD_I8LE);
    case dtype::i16:
      return copy(H5T_STD_I16LE);
    case dtype::i32:
      return copy(H5T_STD_I32LE);
    case dtype::i64:
      return copy(H5T_STD_I64LE);
    case dtype::u16:
    case dtype::bf16:
      return copy(H5T_STD_U16LE);
    case dtype::u32:
      return copy(H5T_STD_U32LE);
    case dtype::u64:
      return copy(H5T_STD_U64LE);
    case dtype::f32:
      return copy(H5T_IEEE_F32LE);
    case dtype::f64:
      return copy(H5T_IEEE_F64LE);
    case dtype::f16: {
      // IEEE binary16, as h5py and numpy read float16.
      DXHUB_TRY(h, copy(H5T_IEEE_F32LE));
      if (H5Tset_fields(h.get(), 15, 10, 5, 0, 10) < 0 || H5Tset_precision(h.get(), 16) < 0
          || H5Tset_size(h.get(), 2) < 0 || H5Tset_ebias(h.get(), 15) < 0)
        return h5_error("half-precision type");
      return h;
    }
    case dtype::complex64:
    case dtype::complex128: {
      bool wide = t == dtype::complex128;
      std::size_t part = wide ? 8 : 4;
      DXHUB_TRY(h, h5_check(H5Tcreate(H5T_COMPOUND, 2 * part), H5Tclose, "H5Tcreate complex"));
      hid_t base = wide ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
      if (H5Tinsert(h.get(), "r", 0, base) < 0 || H5Tinsert(h.get(), "i", part, base) < 0)
        return h5_error("complex type");
      return h;
    }
  }
  return error{errc::invalid_argument, "no HDF5 type for dtype " + std::to_string(int(t))};
}

expected<h5_id> h5_fixed_string(std::size_t bytes) {
  DXHUB_TRY(h, h5_check(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy string"));
  if (H5Tset_size(h.get(), bytes) < 0 || H5Tset_strpad(h.get(), H5T_STR_NULLPAD) < 0
      || H5Tset_cset(h.get(), H5T_CSET_UTF8) < 0)
    return h5_error("fixed string type");
  return h;
}

expected<void> h5_set_text(hid_t obj, const std::string& name, const std::string& value) {
  DXHUB_TRY(type, h5_check(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy"));
  if (H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0)
    return h5_error("text attribute type");
  DXHUB_TRY(space, h5_check(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate"));
  const char* text = value.c_str();
  return write_attr(obj, name, type.get(), space.get(), &text);
}

expected<void> h5_set_int(hid_t obj, const std::string& name, int64_t value) {
  DXHUB_TRY(space, h5_check(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate"));
  return write_attr(obj, name, H5T_STD_I64LE, space.get(), &value);
}

expected<void> h5_set_uints(hid_t obj, const std::string& name, std::span<const uint64_t> value) {
  hsize_t n = value.size();
  DXHUB_TRY(space, n == 0 ? h5_check(H5Screate(H5S_NULL), H5Sclose, "H5Screate")
                          : h5_check(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate"));
  return write_attr(obj, name, H5T_STD_U64LE, space.get(), value.data());
}

bool h5_has_attr(hid_t obj, const std::string& name) {
  auto exists = H5Aexists(obj, name.c_str());
  H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

expected<std::string> h5_get_text(hid_t obj, const std::string& name) {
  DXHUB_TRY(attr, h5_check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose,
                           "no attribute '" + name + "'"));
  DXHUB_TRY(ftype, h5_check(H5Aget_type(attr.get()), H5Tclose, "H5Aget_type " + name));
  if (H5Tget_class(ftype.get()) != H5T_STRING)
    return error{errc::malformed_message, "attribute '" + name + "' is not text"};
  DXHUB_TRY(space, h5_check(H5Aget_space(attr.get()), H5Sclose, "H5Aget_space " + name));
  if (H5Sget_simple_extent_npoints(space.get()) != 1)
    return error{errc::malformed_message, "attribute '" + name + "' is not one text"};
  if (H5Tis_variable_str(ftype.get()) > 0) {
    DXHUB_TRY(mtype, h5_check(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy"));
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get()));
    char* text = nullptr;
    DXHUB_TRYV(h5_check(H5Aread(attr.get(), mtype.get(), &text), "H5Aread " + name));
    std::string out = text != nullptr ? text : "";
    H5free_memory(text);
    return out;
  }
  auto size = H5Tget_size(ftype.get());
  std::string out(size, '\0');
  DXHUB_TRYV(h5_check(H5Aread(attr.get(), ftype.get(), out.data()), "H5Aread " + name));
  out.resize(std::strlen(out.c_str()));
  return out;
}

expected<int64_t> h5_get_int(hid_t obj, const std::string& name) {
  DXHUB_TRY(attr, h5_check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose,
                           "no attribute '" + name + "'"));
  int64_t value = 0;
  DXHUB_TRYV(h5_check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), "H5Aread " + name));
  return value;
}

expected<std::vector<hsize_t>> h5_extent(hid_t dataset) {
  DXHUB_TRY(space, h5_check(H5Dget_space(dataset), H5Sclose, "H5Dget_space"));
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0)
    return h5_error("H5Sget_simple_extent_ndims");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    return h5_error("H5Sget_simple_extent_dims");
  return dims;
}

expected<void> h5_read_rows(hid_t dataset, hid_t mem_type, uint64_t first, uint64_t count,
                            std::span<std::byte> out) {
  if (count == 0)
    return ok();
  DXHUB_TRY(dims, h5_extent(dataset));
  if (dims.empty() || first + count > dims[0])
    return error{errc::invalid_argument, "rows " + std::to_string(first) + ".."
                                             + std::to_string(first + count) + " of "
                                             + std::to_string(dims.empty() ? 0 : dims[0])};
  DXHUB_TRY(fspace, h5_check(H5Dget_space(dataset), H5Sclose, "H5Dget_space"));
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> counts = dims;
  start[0] = first;
  counts[0] = count;
  DXHUB_TRYV(h5_check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr,
                                          counts.data(), nullptr),
                      "H5Sselect_hyperslab"));
  DXHUB_TRY(mspace,
            h5_check(H5Screate_simple(static_cast<int>(counts.size()), counts.data(), nullptr),
                     H5Sclose, "H5Screate_simple"));
  uint64_t elements = 1;
  for (auto c : counts)
    elements *= c;
  if (elements * H5Tget_size(mem_type) != out.size())
    return error{errc::invalid_argument, "read buffer of " + std::to_string(out.size())
                                             + " bytes for "
                                             + std::to_string(elements * H5Tget_size(mem_type))};
  return h5_check(H5Dread(dataset, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, out.data()),
                  "H5Dread");
}

} // namespace dxhub::actors::detail
