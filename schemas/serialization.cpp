#include "dxhub/schemas/serialization.hpp"

namespace dxhub {

std::string encode_base64(std::string_view bytes) {
  return cereal::base64::encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string decode_base64(const std::string& text) {
  auto bytes = cereal::base64::decode(text);
  if (encode_base64(bytes) != text)
    throw std::invalid_argument("not canonical base64 (" + std::to_string(text.size())
                                + " characters)");
  return bytes;
}

} // namespace dxhub
