#pragma once

#include "dxhub/schemas/expected.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dxhub::shm {

/// The default prefix of segment names; the environment variable
/// DXHUB_SHM_PREFIX replaces it (tests use it to isolate and clean up).
inline constexpr std::string_view default_segment_prefix = "dxhub.";

/// The prefix in force: DXHUB_SHM_PREFIX or `default_segment_prefix`.
std::string segment_prefix();

/// The shared-memory object name of `channel`: prefix + channel with '/' as '.'
/// ("lab/cam0/raw" -> "dxhub.lab.cam0.raw"). Channel names hold no '.', so the
/// mapping is reversible.
std::string segment_name(std::string_view channel);

/// The channel of a segment name, if it carries the current prefix.
std::string channel_of_segment(std::string_view segment);

/// Removes the segment of `channel` (processes that mapped it keep their mapping).
expected<void> remove_channel(std::string_view channel);

/// The channels that have a segment under the current prefix, sorted.
std::vector<std::string> list_channels();

} // namespace dxhub::shm
