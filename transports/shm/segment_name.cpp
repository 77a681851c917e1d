#include "dxhub/transports/shm/segment_name.hpp"

#include "dxhub/schemas/name.hpp"
#include "dxhub/transports/shm/detail/segment.hpp"

#include <algorithm>
#include <cstdlib>
#include <dirent.h>

namespace dxhub::shm {

std::string segment_prefix() {
  const char* env = std::getenv("DXHUB_SHM_PREFIX");
  return env != nullptr && *env != '\0' ? std::string{env} : std::string{default_segment_prefix};
}

std::string segment_name(std::string_view channel) {
  auto name = segment_prefix();
  for (char c : channel)
    name += c == '/' ? '.' : c;
  return name;
}

std::string channel_of_segment(std::string_view segment) {
  auto prefix = segment_prefix();
  if (!segment.starts_with(prefix))
    return {};
  std::string channel{segment.substr(prefix.size())};
  std::replace(channel.begin(), channel.end(), '.', '/');
  return channel;
}

expected<void> remove_channel(std::string_view channel) {
  DXHUB_TRYV(validate_name(channel, "channel"));
  return detail::unlink_segment(segment_name(channel));
}

std::vector<std::string> list_channels() {
  std::vector<std::string> channels;
  auto* dir = opendir("/dev/shm");
  if (dir == nullptr)
    return channels;
  while (auto* entry = readdir(dir)) {
    auto channel = channel_of_segment(entry->d_name);
    if (!channel.empty() && validate_name(channel, "channel"))
      channels.push_back(std::move(channel));
  }
  closedir(dir);
  std::sort(channels.begin(), channels.end());
  return channels;
}

} // namespace dxhub::shm
