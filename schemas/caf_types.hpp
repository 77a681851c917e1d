#pragma once

// The one place where the schema types meet CAF: message type registration
// and the conversion of dxhub errors to `caf::error`. Only the runtime and
// above include this header; the transports stay free of CAF.

#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/command.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/field.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/registry_record.hpp"
#include "dxhub/schemas/reply.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include <string>

namespace dxhub {

/// The category of dxhub errors inside CAF.
inline constexpr caf::atom_value error_category_atom = caf::atom("dxhub");

/// Makes `errc` implicitly convertible to `caf::error`.
inline caf::error make_error(errc code) {
  return {static_cast<uint8_t>(code), error_category_atom};
}

/// A `caf::error` carrying code and context.
inline caf::error make_error(errc code, std::string context) {
  return {static_cast<uint8_t>(code), error_category_atom, caf::make_message(std::move(context))};
}

/// Converts a dxhub error value to a `caf::error`.
inline caf::error to_caf_error(const error& e) {
  if (!e)
    return {};
  return make_error(e.code, e.context);
}

namespace detail {

inline std::string render_dxhub_error(uint8_t code, caf::atom_value, const caf::message& context) {
  std::string text{"dxhub: "};
  text += message(static_cast<errc>(code));
  if (context.match_elements<std::string>()) {
    text += ": ";
    text += context.get_as<std::string>(0);
  }
  return text;
}

inline errc from_sec(caf::sec code) {
  switch (code) {
    case caf::sec::request_timeout:
      return errc::timeout;
    case caf::sec::request_receiver_down:
    case caf::sec::no_such_group_module:
    case caf::sec::remote_linking_failed:
      return errc::peer_down;
    case caf::sec::unexpected_message:
      return errc::unknown_command;
    default:
      return errc::service_error;
  }
}

} // namespace detail

/// Converts a `caf::error` back; CAF's own errors (timeouts, dead receivers)
/// map to the nearest dxhub code with CAF's rendering as context.
inline error from_caf_error(const caf::error& e) {
  if (!e)
    return {};
  const auto& context = e.context();
  std::string text = context.match_elements<std::string>() ? context.get_as<std::string>(0) : "";
  if (e.category() == error_category_atom && e.code() < errc_count)
    return {static_cast<errc>(e.code()), std::move(text)};
  if (e.category() == caf::atom("system"))
    return {detail::from_sec(static_cast<caf::sec>(e.code())), caf::to_string(e)};
  return {errc::service_error, caf::to_string(e)};
}

/// Registers every schema type and the dxhub error category with `cfg`.
inline void add_schema_types(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category_atom, detail::render_dxhub_error);
  cfg.add_message_type<schema_id>(schema_id::schema_name);
  cfg.add_message_type<field>(field::schema_name);
  cfg.add_message_type<frame_schema>(frame_schema::schema_name);
  cfg.add_message_type<frame_header>(frame_header::schema_name);
  cfg.add_message_type<command>(command::schema_name);
  cfg.add_message_type<reply>(reply::schema_name);
  cfg.add_message_type<event>(event::schema_name);
  cfg.add_message_type<audit_record>(audit_record::schema_name);
  cfg.add_message_type<registry_record>(registry_record::schema_name);
}

} // namespace dxhub
