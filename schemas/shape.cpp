#include "dxhub/schemas/shape.hpp"

namespace dxhub {

expected<shape> shape::from(std::span<const uint64_t> extents) {
  if (extents.size() > max_rank)
    return error{errc::invalid_argument, "shape has " + std::to_string(extents.size())
                                             + " dimensions, at most 8 are allowed"};
  shape result;
  for (auto e : extents)
    result.dims_[result.rank_++] = e;
  return result;
}

std::string to_string(const shape& s) {
  std::string text = "[";
  for (std::size_t i = 0; i < s.rank(); ++i) {
    if (i > 0)
      text += ", ";
    text += std::to_string(s[i]);
  }
  text += ']';
  return text;
}

} // namespace dxhub
