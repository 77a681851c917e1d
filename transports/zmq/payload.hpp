#pragma once

// Payload encoding of described message types: cereal portable binary (the
// default) or JSON, with the schema checked against the header.

#include "dxhub/schemas/json.hpp"
#include "dxhub/schemas/schema_of.hpp"
#include "dxhub/schemas/serialization.hpp"
#include "dxhub/transports/zmq/envelope.hpp"

#include <zmq.hpp>

#include <cstring>
#include <string>
#include <string_view>

namespace dxhub::zmq {

/// Encodes `value` into a payload frame. JSON text is written by the schema's
/// `to_json` (docs/protocol.md, section 4.1).
template <described T>
expected<::zmq::message_t> encode_payload(const T& value, zmq::encoding enc) {
  try {
    auto text = enc == zmq::encoding::json ? encode_json(value) : encode_binary(value);
    return ::zmq::message_t{text.data(), text.size()};
  } catch (const std::exception& e) {
    return error{errc::bad_encoding, std::string{"encoding "} + T::schema_name + ": " + e.what()};
  }
}

/// Decodes a payload of type `T` from untrusted bytes; every failure is
/// `errc::bad_encoding`.
template <described T>
expected<T> decode_payload(std::span<const std::byte> bytes, zmq::encoding enc) {
  std::string_view text{reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  if (enc == zmq::encoding::json)
    return decode_json<T>(text);
  if (enc == zmq::encoding::binary)
    return decode_binary<T>(text);
  return error{errc::bad_encoding, "unknown payload encoding"};
}

/// Succeeds when the header announces `T`'s schema; otherwise
/// `errc::schema_mismatch` naming both. An untyped header (empty schema name)
/// is accepted for JSON payloads, whose fields are checked one by one.
template <described T>
expected<void> check_schema(const envelope_header& header) {
  if (header.schema.name.empty() && header.encoding == zmq::encoding::json)
    return ok();
  return require_same_schema(schema_of<T>(), header.schema, "receiver expects", "message carries");
}

/// Checks the schema, then decodes the payload of `msg`.
template <described T>
expected<T> decode_payload(const wire_message& msg) {
  DXHUB_TRYV(check_schema<T>(msg.header));
  return decode_payload<T>(msg.bytes(), msg.header.encoding);
}

/// A header for a payload of type `T`.
template <described T>
envelope_header header_for(message_kind kind, zmq::encoding enc) {
  envelope_header header;
  header.kind = kind;
  header.encoding = enc;
  header.schema = schema_of<T>();
  return header;
}

} // namespace dxhub::zmq
