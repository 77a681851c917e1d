#include "dxhub/schemas/error.hpp"

#include <array>
#include <cerrno>
#include <cstring>

namespace dxhub {

namespace {

struct errc_text {
  std::string_view name;
  std::string_view message;
};

constexpr std::array<errc_text, errc_count> errc_texts{{
    {"none", "no error"},
    {"invalid_argument", "invalid argument"},
    {"timeout", "timed out"},
    {"would_block", "nothing available now"},
    {"system_error", "system call failed"},
    {"invalid_name", "invalid name"},
    {"schema_mismatch", "schema mismatch"},
    {"reserved_7", "reserved error code 7"},
    {"unknown_channel", "unknown channel"},
    {"unknown_service", "unknown service"},
    {"unknown_command", "unknown command"},
    {"already_exists", "name already taken"},
    {"segment_not_found", "shared-memory segment not found"},
    {"foreign_segment", "not a dxhub segment"},
    {"layout_mismatch", "segment layout mismatch"},
    {"segment_too_small", "segment smaller than its header says"},
    {"permission_denied", "permission denied"},
    {"pool_exhausted", "no free chunk in the pool"},
    {"subscribers_full", "subscriber table full"},
    {"frame_too_large", "frame too large"},
    {"slow_subscriber", "reliable subscriber too slow"},
    {"publisher_gone", "publisher gone"},
    {"policy_conflict", "policy not supported over this transport"},
    {"malformed_message", "malformed message"},
    {"truncated_message", "truncated message"},
    {"oversized_message", "message larger than the limit"},
    {"bad_magic", "bad magic"},
    {"unsupported_version", "unsupported protocol version"},
    {"bad_encoding", "payload does not decode"},
    {"unauthenticated", "peer not authenticated"},
    {"peer_down", "peer down"},
    {"service_error", "service reported an error"},
    {"no_registry", "registry unreachable"},
    {"reserved_33", "reserved error code 33"},
    {"config_error", "invalid configuration"},
    {"unknown_actor_type", "unknown actor type"},
    {"restart_limit", "restart intensity exceeded"},
}};

class dxhub_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "dxhub"; }
  std::string message(int value) const override {
    if (value < 0 || value >= errc_count)
      return "unknown dxhub error " + std::to_string(value);
    return std::string{dxhub::message(static_cast<errc>(value))};
  }
};

} // namespace

std::string_view name(errc code) noexcept {
  auto index = static_cast<uint8_t>(code);
  return index < errc_count ? errc_texts[index].name : "unknown";
}

std::string_view message(errc code) noexcept {
  auto index = static_cast<uint8_t>(code);
  return index < errc_count ? errc_texts[index].message : "unknown error";
}

bool parse_errc(std::string_view text, errc& out) noexcept {
  for (uint8_t i = 0; i < errc_count; ++i)
    if (errc_texts[i].name == text) {
      out = static_cast<errc>(i);
      return true;
    }
  return false;
}

const std::error_category& error_category() noexcept {
  static const dxhub_category instance;
  return instance;
}

std::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

std::string error::what() const {
  std::string result{message(code)};
  if (!context.empty()) {
    result += ": ";
    result += context;
  }
  return result;
}

error last_system_error(std::string_view call) {
  int saved = errno;
  std::string ctx{call};
  ctx += ": ";
  ctx += std::strerror(saved);
  auto code = (saved == EACCES || saved == EPERM) ? errc::permission_denied : errc::system_error;
  return {code, std::move(ctx)};
}

} // namespace dxhub
