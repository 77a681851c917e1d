#pragma once

// An analysis actor: per-frame statistics of a camera image (mean, max, the
// centroid of the spot above a threshold), published as a small frame on its
// own channel, with drift events when the spot moves away from where it was
// first seen.

#include "dxhub/runtime/actor_types.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace dxhub::actors {

struct centroid_config {
  std::string name = "centroid0";
  std::string service;
  /// The camera channel read, and the channel results go to (default input + "/centroid"
  /// with the last segment replaced: "lab/cam0/raw" -> "lab/cam0/centroid").
  std::string input;
  std::string output;
  /// Pixels count towards the centroid above min + threshold * (max - min).
  double threshold = 0.5;
  /// A drift event when the centroid moved this many pixels from the first one.
  double drift_px = 5;
  /// How often a "stats" event reports frames, bad frames and drops (0 = never).
  std::chrono::milliseconds stats_period{1000};
};

/// The statistics of one image.
struct image_stats {
  double mean = 0;
  double max = 0;
  double x = 0;
  double y = 0;
};

/// Computes the statistics of a `height` x `width` u16 image.
image_stats analyse_image(std::span<const uint16_t> image, uint64_t width, double threshold);

/// The schema of the results: "centroid" f64 [6] = x, y, max, mean,
/// source sequence, source counter (or -1 when the frame did not verify).
frame_schema centroid_frame_schema();

expected<centroid_config> centroid_config_from(const runtime::actor_args& args);

caf::actor spawn_centroid(caf::actor_system& sys, centroid_config config);

} // namespace dxhub::actors
