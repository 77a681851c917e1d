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
};

/// Names a field inside `describe()`.
template <class T>
constexpr named_field<T> named(const char* name, T& value) noexcept {
  return {name, value};
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
