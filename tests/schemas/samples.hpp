#pragma once

// One sample of every schema type with every field set to a non-default value,
// so that a round trip that drops or mangles any field is noticed. JSON texts
// are in normal form (sorted keys, no spaces), as the JSON encoding writes them.

#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/field.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <string>
#include <vector>

namespace dxhub::samples {

inline schema_id a_schema_id() {
  return {"lab.camera_frame", 3, 0xfedcba9876543210ULL};
}

inline field a_field() {
  return {"image", dtype::u16, shape{480, 640}};
}

inline frame_schema a_frame_schema() {
  return {"lab.camera_frame",
          2,
          {a_field(), field{"timestamps", dtype::f64, shape{480}},
           field{"iq", dtype::complex64, shape{2, 3, 4}}}};
}

inline frame_header a_frame_header() {
  frame_header h;
  h.sequence = 1234567890123ULL;
  h.session = 0xdeadbeefcafeULL;
  h.monotonic_ns = 987654321;
  h.wall_ns = 1'790'000'000'123'456'789;
  h.experiment_time = 12.75;
  (void)h.meta.set("exposure_ms", "12.5");
  (void)h.meta.set("operator", "Marie");
  return h;
}

/// Bytes that no text encoding carries as they are: NUL, 0xff, a quote.
inline packed_value a_packed_value() {
  return {schema_id{"lab.exposure", 1, 0x1234}, std::string{"\0\xff\"x", 4}};
}

inline command a_command() {
  return {42,
          "lab-node/controller",
          "lab/cam0",
          "set_exposure",
          json_text{R"({"mode":"auto","ms":12.5})"},
          schema_id{"lab.exposure", 1, 0x1234},
          1500,
          1'790'000'000'000'000'001,
          a_packed_value(),
          {}}; // peer_key: set by the receiving node, never on the wire
}

inline reply a_reply() {
  return {42,    errc::service_error, "exposure out of range", json_text{R"({"ms":10})"},
          12345, a_packed_value()};
}

inline event an_event() {
  return {"lab/cam0/state",
          "lab-node/cam0",
          "state",
          17,
          1'790'000'000'000'000'002,
          json_text{R"({"rate_hz":50,"running":true})"}};
}

inline audit_record an_audit_record() {
  return {1'790'000'000'000'000'003,
          "command",
          "cli:alice@lab",
          "lab/cam0",
          "set_exposure",
          json_text{R"({"ms":12.5})"},
          json_text{R"({"ms":12.5})"},
          "service_error: exposure out of range",
          250'000};
}

inline registry_record a_registry_record() {
  return {entry_kind::channel,
          "lab/cam0/raw",
          "camera-node",
          "0123456789abcdef0123456789abcdef-feedfacefeedfacefeedfacefeedface",
          4242,
          {"ipc:///tmp/dxhub/camera-node.sock", "tcp://127.0.0.1:7101"},
          a_schema_id(),
          3000,
          json_text{R"({"policy":"latest","segment":"dxhub.lab.cam0.raw"})"}};
}

} // namespace dxhub::samples
