#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace dxhub {

/// The identity of a message or frame type: its name, its version and a
/// structural hash over the names and types of its fields (in order).
struct schema_id {
  static constexpr const char* schema_name = "dxhub.schema_id";
  static constexpr uint32_t schema_version = 1;

  std::string name;
  uint32_t version = 0;
  uint64_t hash = 0;

  template <class Self, class F>
  static decltype(auto) describe(Self& x, F&& f) {
    return f(named("name", x.name), named("version", x.version), named("hash", x.hash));
  }

  friend bool operator==(const schema_id&, const schema_id&) = default;
};

/// Renders an identity as "name v3 #0123456789abcdef".
std::string to_string(const schema_id& id);

/// Succeeds when both identities are equal; otherwise returns
/// `errc::schema_mismatch` with a context that names both, e.g.
/// "channel 'lab/cam0/raw' carries camera_frame v1 #..., subscriber wants camera_frame v2 #...".
expected<void> require_same_schema(const schema_id& have, const schema_id& want,
                                   std::string_view have_role = "expected",
                                   std::string_view want_role = "got");

/// FNV-1a, 64 bit: the hash behind structural schema hashes.
constexpr uint64_t fnv1a(std::string_view text, uint64_t seed = 0xcbf29ce484222325ULL) noexcept {
  uint64_t h = seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

} // namespace dxhub
