// libFuzzer target: the payload decoders (cereal portable binary and JSON) of
// the message types that cross the wire. The first input byte chooses the
// type and the encoding; the rest is the payload.

#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/transports/zmq/envelope.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace dxhub;
using namespace dxhub::zmq;

namespace {

template <class T>
void decode_as(std::span<const std::byte> bytes, encoding enc) {
  auto value = decode_payload<T>(bytes, enc);
  if (!value)
    return;
  // Whatever decodes must encode, and decode again to the same value.
  auto payload = encode_payload(value.value(), enc);
  if (!payload)
    std::abort();
  std::span<const std::byte> again{static_cast<const std::byte*>(payload.value().data()),
                                   payload.value().size()};
  auto back = decode_payload<T>(again, enc);
  if (!back || (enc == encoding::binary && !(back.value() == value.value())))
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(data + 1), size - 1};
  auto enc = (data[0] & 1) != 0 ? encoding::json : encoding::binary;
  switch ((data[0] >> 1) % 3) {
    case 0:
      decode_as<command>(bytes, enc);
      break;
    case 1:
      decode_as<reply>(bytes, enc);
      break;
    default:
      decode_as<event>(bytes, enc);
      break;
  }
  return 0;
}
