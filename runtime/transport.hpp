#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dxhub::runtime {

/// How a frame, event or command travels. The runtime picks it from where the
/// other side is (same process, same host, another host); a subscriber may
/// force one.
enum class transport : uint8_t {
  automatic,  ///< Let the runtime choose (subscription option only).
  in_process, ///< Handed over inside one process: the same bytes, no copy.
  shm,        ///< Shared memory on one host: the publisher's chunk, no copy.
  zmq,        ///< ZeroMQ between hosts (or forced): the bytes are copied.
};

std::string_view name(transport t) noexcept;
std::string to_string(transport t);

} // namespace dxhub::runtime
