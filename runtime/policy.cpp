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

expected<void> check_policy(policy p, transport via) {
  if (via != transport::zmq || p == policy::latest)
    return ok();
  auto what = "policy '" + to_string(p) + "' over transport '" + to_string(via) + "': ";
  if (p == policy::work)
    return error{errc::policy_conflict,
                 what
                     + "there is no claim table across hosts, so no member could know that "
                       "another one took a frame; subscribe on the publisher's host, or with "
                       "'latest'"};
  return error{errc::policy_conflict,
               what
                   + "a publisher on another host cannot wait for this reader (ZeroMQ "
                     "publish/subscribe has no back-pressure), so no reliable_timeout could "
                     "be honoured; subscribe on the publisher's host, or with 'latest'"};
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
