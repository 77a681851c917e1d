#include "dxhub/schemas/packing.hpp"

#include <map>
#include <mutex>
#include <tuple>
#include <utility>

namespace dxhub {

namespace {

using type_key = std::tuple<std::string, uint32_t, uint64_t>;

struct known_types {
  std::mutex mutex;
  std::map<type_key, detail::packed_reader> readers;
};

// Constructed on first use: registrations run during static initialization.
known_types& types() {
  static known_types instance;
  return instance;
}

type_key key_of(const schema_id& schema) {
  return {schema.name, schema.version, schema.hash};
}

} // namespace

namespace detail {

void know_packed_type(const schema_id& schema, packed_reader read) {
  auto& t = types();
  std::lock_guard lock{t.mutex};
  t.readers.emplace(key_of(schema), read);
}

} // namespace detail

expected<nlohmann::json> packed_as_json(const packed_value& packed) {
  detail::packed_reader read = nullptr;
  {
    auto& t = types();
    std::lock_guard lock{t.mutex};
    if (auto it = t.readers.find(key_of(packed.schema)); it != t.readers.end())
      read = it->second;
  }
  if (read == nullptr)
    return error{
        errc::schema_mismatch,
        "a value packed as " + to_string(packed.schema)
            + " cannot be read as JSON here: this program never packs or unpacks that type"};
  return read(packed.bytes);
}

} // namespace dxhub
