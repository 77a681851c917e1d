#pragma once

// Test frames whose every byte derives from a seed, so that a reader can
// tell an intact frame from a torn or mixed one.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/frame.hpp"
#include "dxhub/schemas/frame_schema.hpp"

#include <algorithm>
#include <numeric>
#include <string>

namespace dxhub::test {

/// A small image frame: a u16 2D field plus a f64 timestamp array.
inline frame_schema camera_schema(const std::string& name = "test.camera", uint32_t version = 1) {
  frame_schema s;
  s.name = name;
  s.version = version;
  s.fields = {field{"image", dtype::u16, shape{16, 16}}, field{"stamps", dtype::f64, shape{4}}};
  return s;
}

inline void fill(runtime::loaned_frame& f, uint16_t seed) {
  auto image = f.field<uint16_t>("image").value();
  std::iota(image.values.begin(), image.values.end(), seed);
  auto stamps = f.field<double>("stamps").value();
  std::fill(stamps.values.begin(), stamps.values.end(), double(seed) / 2);
}

inline bool intact(const runtime::frame& f, uint16_t seed) {
  auto image = f.field<uint16_t>("image");
  auto stamps = f.field<double>("stamps");
  if (!image || !stamps)
    return false;
  for (std::size_t i = 0; i < image.value().values.size(); ++i)
    if (image.value().values[i] != static_cast<uint16_t>(seed + i))
      return false;
  return std::all_of(stamps.value().values.begin(), stamps.value().values.end(),
                     [&](double d) { return d == double(seed) / 2; });
}

} // namespace dxhub::test
