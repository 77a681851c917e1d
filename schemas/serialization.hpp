#pragma once

// cereal serialization of every schema type (portable binary and JSON), with
// decoding hardened for untrusted input: a length prefix never makes the
// decoder allocate more than the input could hold, an enum outside its range
// is rejected, and every failure is an `errc::bad_encoding` value.

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/json_text.hpp"
#include "dxhub/schemas/metadata.hpp"
#include "dxhub/schemas/packed_value.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/schemas/shape.hpp"

#include <cereal/archives/json.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/external/base64.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>

#include <cstddef>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dxhub {

/// The number of valid values of each enum in the schemas, for range checks.
constexpr uint8_t enum_size(type_tag<dtype>) noexcept {
  return dtype_count;
}
constexpr uint8_t enum_size(type_tag<errc>) noexcept {
  return errc_count;
}
constexpr uint8_t enum_size(type_tag<entry_kind>) noexcept {
  return 3;
}

namespace detail {

/// Bytes the input being decoded on this thread may still claim; bounds
/// every length prefix.
inline thread_local std::size_t decode_budget = std::numeric_limits<std::size_t>::max();

template <class Archive>
inline constexpr bool is_binary_archive =
    std::is_same_v<
        Archive,
        cereal::
            PortableBinaryInputArchive> || std::is_same_v<Archive, cereal::PortableBinaryOutputArchive>;

template <class Archive>
inline constexpr bool is_input_archive =
    std::is_base_of_v<cereal::detail::InputArchiveBase, Archive>;

inline void check_claim(std::size_t count, std::size_t element_size) {
  if (count > decode_budget / (element_size == 0 ? 1 : element_size))
    throw std::length_error("length prefix " + std::to_string(count) + " exceeds the input");
}

template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};

template <class Archive, class T>
void archive_field(Archive& ar, const char* name, T& value);

template <class Archive, class T>
void archive_list(Archive& ar, std::vector<T>& values) {
  cereal::size_type n = values.size();
  ar(cereal::make_size_tag(n));
  if constexpr (is_input_archive<Archive>) {
    check_claim(n, 1); // every element takes at least one byte of input
    values.resize(n);
  }
  for (auto& v : values)
    archive_field(ar, "item", v);
}

template <class Archive>
void archive_string(Archive& ar, std::string& text) {
  cereal::size_type n = text.size();
  ar(cereal::make_size_tag(n));
  if constexpr (is_input_archive<Archive>) {
    check_claim(n, 1);
    text.resize(n);
  }
  ar(cereal::binary_data(text.data(), n));
}

template <class Archive, class T>
void archive_field(Archive& ar, const char* name, T& value) {
  if constexpr (std::is_enum_v<T>) {
    auto raw = static_cast<std::underlying_type_t<T>>(value);
    ar(cereal::make_nvp(name, raw));
    if constexpr (is_input_archive<Archive>) {
      if (raw >= enum_size(type_tag<T>{}))
        throw std::out_of_range(std::string{"field '"} + name + "' holds an invalid value "
                                + std::to_string(raw));
      value = static_cast<T>(raw);
    }
  } else if constexpr (is_binary_archive<Archive> && std::is_same_v<T, std::string>) {
    archive_string(ar, value);
  } else if constexpr (is_binary_archive<Archive> && is_std_vector<T>::value) {
    archive_list(ar, value);
  } else {
    ar(cereal::make_nvp(name, value));
  }
}

} // namespace detail

/// Only cereal's archives: CAF 0.17 looks for a free `serialize(processor&,
/// T&)` too, and must keep using the types' `inspect` instead.
template <class Archive>
concept cereal_archive =
    std::is_base_of_v<cereal::detail::OutputArchiveBase,
                      Archive> || std::is_base_of_v<cereal::detail::InputArchiveBase, Archive>;

} // namespace dxhub

namespace cereal {

/// cereal serialization of every described type, field by field. In cereal's
/// namespace (found through the archive) so that described types of every
/// namespace have it, like nlohmann::adl_serializer in json.hpp.
template <dxhub::cereal_archive Archive, dxhub::described T>
void serialize(Archive& ar, T& x) {
  dxhub::visit_fields(x, [&ar](auto... field) {
    (dxhub::detail::archive_field(ar, field.name, field.value), ...);
  });
}

} // namespace cereal

namespace dxhub {

template <cereal_archive Archive>
void save(Archive& ar, const shape& s) {
  std::vector<uint64_t> extents{s.extents().begin(), s.extents().end()};
  detail::archive_field(ar, "extents", extents);
}

template <cereal_archive Archive>
void load(Archive& ar, shape& s) {
  std::vector<uint64_t> extents;
  detail::archive_field(ar, "extents", extents);
  auto shape_result = shape::from(extents);
  if (!shape_result)
    throw std::invalid_argument(shape_result.error().what());
  s = shape_result.value();
}

// Binary archives carry the encoded buffer; text archives (whose strings end
// at a NUL) carry the key/value pairs.
template <cereal_archive Archive>
void save(Archive& ar, const metadata& m) {
  if constexpr (detail::is_binary_archive<Archive>) {
    std::string raw{m.raw()};
    detail::archive_field(ar, "raw", raw);
  } else {
    ar(cereal::make_nvp("entries", m.entries()));
  }
}

template <cereal_archive Archive>
void load(Archive& ar, metadata& m) {
  if constexpr (detail::is_binary_archive<Archive>) {
    std::string raw;
    detail::archive_field(ar, "raw", raw);
    if (auto assigned = m.assign_raw(raw); !assigned)
      throw std::invalid_argument(assigned.error().what());
  } else {
    std::vector<std::pair<std::string, std::string>> entries;
    ar(cereal::make_nvp("entries", entries));
    metadata result;
    for (const auto& [key, value] : entries)
      if (auto set = result.set(key, value); !set)
        throw std::invalid_argument(set.error().what());
    m = result;
  }
}

template <cereal_archive Archive>
void serialize(Archive& ar, json_text& x) {
  detail::archive_field(ar, "text", x.text);
}

/// `bytes` as canonical base64 (with padding).
std::string encode_base64(std::string_view bytes);

/// The bytes of base64 `text`; anything but canonical base64 is an error
/// (cereal's decoder stops silently at the first stray character).
std::string decode_base64(const std::string& text);

// Binary archives carry the bytes as they are; text archives as base64.
template <cereal_archive Archive>
void save(Archive& ar, const packed_value& x) {
  auto schema = x.schema;
  ar(cereal::make_nvp("schema", schema));
  if constexpr (detail::is_binary_archive<Archive>) {
    cereal::size_type n = x.bytes.size();
    ar(cereal::make_size_tag(n));
    ar(cereal::binary_data(x.bytes.data(), n));
  } else {
    auto text = encode_base64(x.bytes);
    ar(cereal::make_nvp("base64", text));
  }
}

template <cereal_archive Archive>
void load(Archive& ar, packed_value& x) {
  detail::archive_field(ar, "schema", x.schema);
  if constexpr (detail::is_binary_archive<Archive>) {
    detail::archive_string(ar, x.bytes);
  } else {
    std::string text;
    ar(cereal::make_nvp("base64", text));
    x.bytes = decode_base64(text);
  }
}

namespace detail {

/// Reads a byte range without copying it into a stream buffer first.
class byte_source : public std::streambuf {
public:
  explicit byte_source(std::string_view bytes) {
    auto* first = const_cast<char*>(bytes.data()); // read-only: only get area used
    setg(first, first, first + bytes.size());
  }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(egptr() - gptr()); }
};

/// Appends what is written to a string, without a buffer of its own.
class byte_sink : public std::streambuf {
public:
  explicit byte_sink(std::string& out) noexcept : out_(&out) {}

protected:
  std::streamsize xsputn(const char* bytes, std::streamsize n) override {
    out_->append(bytes, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof()))
      out_->push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

private:
  std::string* out_;
};

/// A stream of this thread pointed at `buffer` for the lifetime of this
/// object. Building a std::istream or std::ostream looks up its locale's
/// facets (a dozen dynamic_casts): more than decoding a small message costs,
/// and messages are decoded and encoded several times per call. A nested use
/// on the same thread gets a stream of its own.
template <class Stream>
class lent_stream {
public:
  explicit lent_stream(std::streambuf& buffer) {
    auto& spare = spare_stream();
    if (spare.lent) {
      own_.emplace(&buffer);
      stream_ = &*own_;
      return;
    }
    spare.lent = true;
    spare.stream.rdbuf(&buffer); // also clears its state
    stream_ = &spare.stream;
    spare_ = &spare;
  }
  ~lent_stream() {
    if (spare_ == nullptr)
      return;
    spare_->stream.rdbuf(nullptr);
    spare_->lent = false;
  }
  lent_stream(const lent_stream&) = delete;
  lent_stream& operator=(const lent_stream&) = delete;

  Stream& get() noexcept { return *stream_; }

private:
  struct spare {
    Stream stream{nullptr};
    bool lent = false;
  };
  static spare& spare_stream() {
    thread_local spare stream;
    return stream;
  }

  std::optional<Stream> own_;
  Stream* stream_ = nullptr;
  spare* spare_ = nullptr;
};

template <class T, class Archive, class Source>
expected<T> decode_with(Source& source, std::string_view what) {
  T value{};
  auto saved_budget = decode_budget;
  decode_budget = source.remaining();
  try {
    lent_stream<std::istream> in{source};
    Archive ar{in.get()};
    ar(value);
  } catch (const std::exception& e) {
    decode_budget = saved_budget;
    return error{errc::bad_encoding, std::string{what} + " " + T::schema_name + ": " + e.what()};
  }
  decode_budget = saved_budget;
  return value;
}

} // namespace detail

/// cereal portable binary: the default payload encoding on the wire.
template <described T>
std::string encode_binary(const T& value) {
  std::string bytes;
  detail::byte_sink sink{bytes};
  detail::lent_stream<std::ostream> out{sink};
  {
    cereal::PortableBinaryOutputArchive ar{out.get()};
    ar(value);
  }
  return bytes;
}

/// Decodes cereal portable binary; trailing bytes are an error.
template <described T>
expected<T> decode_binary(std::string_view bytes) {
  detail::byte_source source{bytes};
  auto value = detail::decode_with<T, cereal::PortableBinaryInputArchive>(source, "binary");
  if (value && source.remaining() != 0)
    return error{errc::bad_encoding,
                 std::to_string(source.remaining()) + " trailing bytes after " + T::schema_name};
  return value;
}

/// cereal JSON, e.g. for files that people read.
template <described T>
std::string encode_cereal_json(const T& value) {
  std::ostringstream out;
  {
    cereal::JSONOutputArchive ar{out};
    ar(cereal::make_nvp(T::schema_name, value));
  }
  return std::move(out).str();
}

/// Decodes what `encode_cereal_json` wrote.
template <described T>
expected<T> decode_cereal_json(std::string_view text) {
  detail::byte_source source{text};
  T value{};
  try {
    std::istream in{&source};
    cereal::JSONInputArchive ar{in};
    ar(cereal::make_nvp(T::schema_name, value));
  } catch (const std::exception& e) {
    return error{errc::bad_encoding,
                 std::string{"cereal JSON "} + T::schema_name + ": " + e.what()};
  }
  return value;
}

} // namespace dxhub
