// libFuzzer target: a request to the registry (or to the event relay) on
// untrusted bytes, read as a node reads it - the `dxhub.command` payload,
// then its arguments as the type the command takes (registry_record,
// registry_query, event_batch, event) from JSON (`parse_arguments`, as the
// command table does, and `decode_json`, as the relay does) or packed binary
// (`unpack`) - and the registry's answers as a caller reads them
// (registry_record, registry_records, events_endpoint). Any bytes give a
// value or an error: a crash, an allocation beyond libFuzzer's limit or a
// value that does not encode and decode again is a finding.
//
// The first input byte chooses the encoding of the command (bit 0) and, for a
// command that names no registry or relay command, the type its arguments
// are read as (the other bits); the rest is the command's payload.

#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/arguments.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/packing.hpp"
#include "dxhub/schemas/serialization.hpp"
#include "dxhub/transports/zmq/payload.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace dxhub;
using namespace dxhub::zmq;
namespace rt = dxhub::runtime;

namespace {

// A decoded value must encode, and decode again to the same bytes.
template <described T>
void check_json(const T& value) {
  auto again = decode_json<T>(encode_json(value));
  if (!again || encode_binary(again.value()) != encode_binary(value))
    std::abort();
}

template <described T>
void check_packed(const T& value) {
  auto again = unpack<T>(pack(value));
  if (!again || encode_binary(again.value()) != encode_binary(value))
    std::abort();
}

// The arguments of `c` read as `T`, every way a node reads them.
template <described T>
void read_args(const command& c) {
  if (!c.packed_args.empty()) {
    if (auto args = unpack<T>(c.packed_args))
      check_packed(args.value());
    return;
  }
  if (auto args = parse_arguments<T>(c.args.text))
    check_json(args.value());
  if (auto args = decode_json<T>(c.args.text))
    check_json(args.value());
}

void read_args_as(unsigned selector, const command& c) {
  switch (selector % 6) {
    case 0:
      read_args<registry_record>(c);
      break;
    case 1:
      read_args<rt::registry_query>(c);
      break;
    case 2:
      read_args<rt::event_batch>(c);
      break;
    case 3:
      read_args<event>(c);
      break;
    case 4:
      read_args<rt::events_endpoint>(c);
      break;
    default:
      read_args<rt::registry_records>(c);
      break;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(data + 1), size - 1};
  auto enc = (data[0] & 1) != 0 ? encoding::json : encoding::binary;
  auto decoded = decode_payload<command>(bytes, enc);
  if (!decoded)
    return 0;
  const auto& c = decoded.value();
  const std::string_view service = c.service;
  const std::string_view name = c.name;
  if (service == rt::registry_service && (name == "register" || name == "unregister"))
    read_args<registry_record>(c);
  else if (service == rt::registry_service && (name == "lookup" || name == "list"))
    read_args<rt::registry_query>(c);
  else if (service == rt::events_service && name == "emit_many")
    read_args<rt::event_batch>(c);
  else if (service == rt::events_service && name == "emit")
    read_args<event>(c);
  else
    read_args_as(static_cast<unsigned>(data[0]) >> 1, c);
  return 0;
}
