#include "dxhub/runtime/policy.hpp"

namespace dxhub::runtime {

std::string_view name(policy p) noexcept {
  switch (p) {
    case policy::latest:
      return "latest";
    case policy::reliable:
      return "reliable";
    case policy::work:
      return "work";
  }
  return "invalid";
}

std::string to_string(policy p) {
  return std::string{name(p)};
}

bool parse_policy(std::string_view text, policy& out) noexcept {
  for (auto p : {policy::latest, policy::reliable, policy::work})
    if (name(p) == text) {
      out = p;
      return true;
    }
  return false;
}

} // namespace dxhub::runtime
