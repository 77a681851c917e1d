#pragma once

// The strict reading of a command's arguments. A motor told `move_to` with a
// misspelt or missing position must refuse, not drive to a default: every
// field of the argument type is required unless the type marks it
// `defaulted(...)`, a field the type does not have is refused, and a value of
// the wrong type names the field and the type it wants. (Messages of the
// protocol itself are read leniently by json.hpp: missing fields take their
// defaults there, so that older clients keep working.)

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/error.hpp"
#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/json.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>
#include <type_traits>

namespace dxhub {

namespace detail {

/// How an argument's expected JSON type reads in an error ("a number").
template <class V>
std::string json_kind_of() {
  if constexpr (std::is_same_v<V, bool>)
    return "a boolean (true or false)";
  else if constexpr (std::is_integral_v<V>)
    return "an integer";
  else if constexpr (std::is_floating_point_v<V>)
    return "a number";
  else if constexpr (std::is_convertible_v<std::string, V>)
    return "a string";
  else if constexpr (described<V>)
    return std::string{"an object ("} + V::schema_name + ")";
  else
    return "a value of another type";
}

/// The JSON value as an error shows it: short, so that a huge one does not
/// flood the message.
std::string shown_value(const nlohmann::json& value);

/// Reads one argument field; false with `problem` set when it is missing or
/// of the wrong type.
template <class V>
bool read_argument(const nlohmann::json& args, const named_field<V>& field, std::string& problem) {
  auto it = args.find(field.name);
  if (it == args.end()) {
    if (field.has_default)
      return true;
    problem = "missing argument '" + std::string{field.name} + "' (" + json_kind_of<V>() + ")";
    return false;
  }
  try {
    read_value(*it, field.value);
    return true;
  } catch (const std::exception& e) {
    problem = "argument '" + std::string{field.name} + "' must be " + json_kind_of<V>() + ", got "
              + shown_value(*it);
    if (std::string_view what{e.what()}; what.find("range") != std::string_view::npos)
      problem += " (" + std::string{what} + ")";
    return false;
  }
}

/// The first member of `args` that no field of `T` names, or empty.
template <described T>
std::string unknown_argument(const nlohmann::json& args, T& value) {
  std::set<std::string_view> known;
  visit_fields(value, [&known](auto... field) { (known.insert(field.name), ...); });
  for (const auto& [key, unused] : args.items())
    if (!known.contains(key))
      return key;
  return {};
}

/// The field names of `T`, for errors ("pos_mm, speed_mm_s").
template <described T>
std::string argument_names(T& value) {
  std::string names;
  visit_fields(value, [&names](auto... field) {
    ((names += (names.empty() ? "" : ", "), names += field.name), ...);
  });
  return names.empty() ? "none" : names;
}

} // namespace detail

/// Reads `args` (a JSON object, or null for a type whose every field has a
/// default) into `T`; every failure is `errc::invalid_argument` naming the
/// field and what it should be.
template <described T>
expected<T> read_arguments(const nlohmann::json& args) {
  T value{};
  if (args.is_null())
    return read_arguments<T>(nlohmann::json::object());
  if (!args.is_object())
    return error{errc::invalid_argument, std::string{"arguments of type "} + T::schema_name
                                             + " must be a JSON object, got "
                                             + detail::shown_value(args)};
  if (auto unknown = detail::unknown_argument(args, value); !unknown.empty())
    return error{errc::invalid_argument, "unknown argument '" + unknown + "' (arguments: "
                                             + detail::argument_names(value) + ")"};
  std::string problem;
  visit_fields(value,
               [&](auto... field) { (void)(detail::read_argument(args, field, problem) && ...); });
  if (!problem.empty())
    return error{errc::invalid_argument, problem};
  return value;
}

/// Like `read_arguments`, on JSON text (empty text reads as null).
template <described T>
expected<T> parse_arguments(std::string_view text) {
  auto doc = parse_json(text.empty() ? std::string_view{"null"} : text);
  if (!doc)
    return error{errc::invalid_argument, "arguments are not JSON: " + doc.error().context};
  return read_arguments<T>(doc.value());
}

} // namespace dxhub
