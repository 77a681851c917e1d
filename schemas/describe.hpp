#pragma once

// The one description of a message type's fields, from which its cereal
// serialization, its JSON form, its CAF inspection and its schema identity are
// all derived. A described type declares
//
//   static constexpr const char* schema_name = "dxhub.command";
//   static constexpr uint32_t schema_version = 1;
//   template <class Self, class F>
//   static decltype(auto) describe(Self& x, F&& f) {
//     return f(named("id", x.id), named("caller", x.caller), ...);
//   }
//
// so that adding a field in one place updates every representation.

#include <concepts>
#include <cstdint>
#include <string_view>

namespace dxhub {

/// A reference to one field of a described type, with its name.
template <class T>
struct named_field {
  const char* name;
  T& value;
  /// A command's arguments may leave this field out: it keeps the value the
  /// type gives it. Every other field of a command's arguments is required.
  bool has_default = false;
};

/// Names a field inside `describe()`.
template <class T>
constexpr named_field<T> named(const char* name, T& value) noexcept {
  return {name, value, false};
}

/// Names a field that callers may leave out (its member initializer is the
/// default), e.g. `defaulted("speed_mm_s", x.speed_mm_s)`.
template <class T>
constexpr named_field<T> defaulted(const char* name, T& value) noexcept {
  return {name, value, true};
}

/// A message type whose fields are listed by `T::describe(x, f)`.
template <class T>
concept described = requires {
  { T::schema_name } -> std::convertible_to<std::string_view>;
  { T::schema_version } -> std::convertible_to<uint32_t>;
};

/// Calls `f(named_field...)` with every field of `x`.
template <described T, class F>
decltype(auto) visit_fields(T& x, F&& f) {
  return std::remove_const_t<T>::describe(x, static_cast<F&&>(f));
}

/// CAF 0.17 inspection for every described type (found by ADL; needs no CAF
/// header here, so the transports stay free of CAF).
template <class Inspector, described T>
typename Inspector::result_type inspect(Inspector& f, T& x) {
  return visit_fields(x, [&f](auto... field) { return f(field.value...); });
}

} // namespace dxhub
