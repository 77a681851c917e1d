#include "dxhub/schemas/serialization.hpp"

namespace dxhub {

std::string decode_base64(const std::string& text) {
  auto bytes = cereal::base64::decode(text);
  auto again =
      cereal::base64::encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  if (again != text)
    throw std::invalid_argument("not canonical base64 (" + std::to_string(text.size())
                                + " characters)");
  return bytes;
}

} // namespace dxhub
