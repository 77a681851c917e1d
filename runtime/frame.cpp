#include "dxhub/runtime/frame.hpp"

namespace dxhub::runtime {

std::string to_string(const frame& f) {
  if (!f)
    return "frame()";
  return "frame(" + f.channel() + ", seq " + std::to_string(f.header().sequence) + ", "
         + std::to_string(f.payload().size()) + " bytes via " + to_string(f.transport()) + ")";
}

} // namespace dxhub::runtime
