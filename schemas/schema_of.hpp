#pragma once

#include "dxhub/schemas/describe.hpp"
#include "dxhub/schemas/schema_id.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace dxhub {

/// Selects `schema_token` overloads for types that are neither arithmetic nor
/// described (custom types add `std::string schema_token(type_tag<T>)`).
template <class T>
struct type_tag {};

/// The canonical text of a type's structure: its field names and types, in
/// order, recursively. Two types with the same canonical text are the same
/// structure; the structural hash is the hash of this text.
template <class T>
std::string canonical_type();

namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
struct is_map : std::false_type {};
template <class K, class V, class C, class A>
struct is_map<std::map<K, V, C, A>> : std::true_type {};

template <class T>
std::string arithmetic_token() {
  if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else {
    // Appended, not "x" + string: GCC 12 at -O3 warns falsely on the latter
    // (-Wrestrict, GCC bug 105651), which -Werror turns into a failed build.
    std::string token{std::is_floating_point_v<T> ? "f" : std::is_signed_v<T> ? "i" : "u"};
    token += std::to_string(sizeof(T) * 8);
    return token;
  }
}

} // namespace detail

template <class T>
std::string canonical_type() {
  using namespace detail;
  if constexpr (std::is_arithmetic_v<T>) {
    return arithmetic_token<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (is_vector<T>::value) {
    return "list<" + canonical_type<typename T::value_type>() + ">";
  } else if constexpr (is_std_array<T>::value) {
    return "array<" + canonical_type<typename T::value_type>() + ","
           + std::to_string(std::tuple_size_v<T>) + ">";
  } else if constexpr (is_map<T>::value) {
    return "map<" + canonical_type<typename T::key_type>() + ","
           + canonical_type<typename T::mapped_type>() + ">";
  } else if constexpr (described<T>) {
    T sample{};
    std::string text = T::schema_name;
    text += '{';
    visit_fields(sample, [&text](auto... field) {
      ((text += field.name, text += ':',
        text += canonical_type<std::remove_cvref_t<decltype(field.value)>>(), text += ';'),
       ...);
    });
    text += '}';
    return text;
  } else {
    return schema_token(type_tag<T>{}); // custom types: found by ADL
  }
}

/// The identity of a described message type: its declared name and version
/// and the hash of its canonical structure.
template <described T>
const schema_id& schema_of() {
  static const schema_id id{T::schema_name, T::schema_version, fnv1a(canonical_type<T>())};
  return id;
}

} // namespace dxhub
