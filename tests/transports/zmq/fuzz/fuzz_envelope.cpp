// libFuzzer target: the envelope decoders (header frame, whole message) on
// untrusted bytes. The first input byte chooses where the input is split into
// a header frame and a payload frame.

#include "dxhub/transports/zmq/envelope.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace dxhub::zmq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  limits lim;
  lim.max_message_size = 1 << 20;
  std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(data), size};
  auto header = decode_header(bytes, lim);
  if (header) {
    // What decodes must encode back to the same bytes.
    auto again = encode_header_bytes(header.value());
    if (again.size() != size || std::memcmp(again.data(), data, size) != 0)
      std::abort();
  }
  if (size < 1)
    return 0;
  std::size_t split = 1 + (data[0] * 4) % size; // header lengths around 44 + name
  if (split > size)
    split = size;
  std::vector<::zmq::message_t> frames;
  frames.emplace_back(data + 1, split - 1);
  frames.emplace_back(data + split, size - split);
  auto msg = decode_message(frames, lim);
  if (msg && msg.value().payload.size() != msg.value().header.payload_size)
    std::abort();
  return 0;
}
