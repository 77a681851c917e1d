#include "dxhub/schemas/registry_record.hpp"

namespace dxhub {

std::string to_string(entry_kind kind) {
  switch (kind) {
    case entry_kind::node:
      return "node";
    case entry_kind::service:
      return "service";
    case entry_kind::channel:
      return "channel";
  }
  return "invalid";
}

bool parse_entry_kind(std::string_view text, entry_kind& out) noexcept {
  for (auto k : {entry_kind::node, entry_kind::service, entry_kind::channel})
    if (to_string(k) == text) {
      out = k;
      return true;
    }
  return false;
}

} // namespace dxhub
