#include "dxhub/schemas/schema_id.hpp"

#include <cstdio>

namespace dxhub {

std::string to_string(const schema_id& id) {
  char hash[24];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(id.hash));
  return id.name + " v" + std::to_string(id.version) + " #" + hash;
}

expected<void> require_same_schema(const schema_id& have, const schema_id& want,
                                   std::string_view have_role, std::string_view want_role) {
  if (have == want)
    return ok();
  std::string ctx{have_role};
  ctx += " has ";
  ctx += to_string(have);
  ctx += ", ";
  ctx += want_role;
  ctx += " has ";
  ctx += to_string(want);
  return error{errc::schema_mismatch, std::move(ctx)};
}

} // namespace dxhub
