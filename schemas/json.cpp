#include "dxhub/schemas/json.hpp"

#include "dxhub/schemas/serialization.hpp"

#include <cstdio>
#include <vector>

namespace dxhub {

expected<nlohmann::json> parse_json(std::string_view text) {
  using parse_event = nlohmann::json::parse_event_t;
  auto limit_depth = [](int depth, parse_event, nlohmann::json&) {
    if (depth > max_json_depth)
      throw std::length_error("JSON nested deeper than " + std::to_string(max_json_depth));
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const std::exception& e) {
    return error{errc::bad_encoding, e.what()};
  }
}

void to_json(nlohmann::json& j, const json_text& x) {
  auto doc = parse_json(x.text);
  j = doc ? std::move(doc).value() : nlohmann::json(x.text);
}

void from_json(const nlohmann::json& j, json_text& x) {
  x.text = j.dump();
}

void to_json(nlohmann::json& j, const metadata& x) {
  j = nlohmann::json::object();
  for (auto& [key, value] : x.entries())
    j[key] = value;
}

void from_json(const nlohmann::json& j, metadata& x) {
  if (!j.is_object())
    throw std::invalid_argument("metadata must be an object of strings");
  metadata result;
  for (auto& [key, value] : j.items()) {
    if (!value.is_string())
      throw std::invalid_argument("metadata value of '" + key + "' must be a string");
    if (auto set = result.set(key, value.get_ref<const std::string&>()); !set)
      throw std::invalid_argument(set.error().what());
  }
  x = result;
}

void to_json(nlohmann::json& j, const packed_value& x) {
  if (x.empty()) {
    j = nullptr;
    return;
  }
  j = {{"schema", x.schema}, {"base64", encode_base64(x.bytes)}};
}

void from_json(const nlohmann::json& j, packed_value& x) {
  if (j.is_null()) {
    x = {};
    return;
  }
  if (!j.is_object())
    throw std::invalid_argument("a packed value must be null or an object");
  packed_value result;
  from_json(j.at("schema"), result.schema);
  result.bytes = decode_base64(j.at("base64").get<std::string>());
  x = std::move(result);
}

void to_json(nlohmann::json& j, const shape& x) {
  j = nlohmann::json::array();
  for (auto e : x.extents())
    j.push_back(e);
}

void from_json(const nlohmann::json& j, shape& x) {
  if (!j.is_array())
    throw std::invalid_argument(std::string{"a shape is an array of extents, got "}
                                + j.type_name());
  std::vector<uint64_t> extents(j.size());
  for (std::size_t i = 0; i < extents.size(); ++i)
    detail::read_integral(j[i], extents[i]); // 1e300 is refused, not cast
  auto shape_result = shape::from(extents);
  if (!shape_result)
    throw std::invalid_argument(shape_result.error().what());
  x = shape_result.value();
}

void to_json(nlohmann::json& j, const schema_id& x) {
  char hash[24];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(x.hash));
  j = {{"name", x.name}, {"version", x.version}, {"hash", hash}};
}

void from_json(const nlohmann::json& j, schema_id& x) {
  x.name = j.at("name").get<std::string>();
  detail::read_integral(j.at("version"), x.version); // 1e300 is refused, not cast
  const auto& hash = j.at("hash").get_ref<const std::string&>();
  if (hash.size() != 16 || hash.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw std::invalid_argument("schema hash must be 16 hex digits");
  x.hash = std::stoull(hash, nullptr, 16);
}

void to_json(nlohmann::json& j, dtype x) {
  j = name(x);
}

void from_json(const nlohmann::json& j, dtype& x) {
  auto parsed = parse_dtype(j.get_ref<const std::string&>());
  if (!parsed)
    throw std::invalid_argument("unknown dtype '" + j.get<std::string>() + "'");
  x = *parsed;
}

void to_json(nlohmann::json& j, errc x) {
  j = name(x);
}

void from_json(const nlohmann::json& j, errc& x) {
  if (!parse_errc(j.get_ref<const std::string&>(), x))
    throw std::invalid_argument("unknown error code '" + j.get<std::string>() + "'");
}

void to_json(nlohmann::json& j, entry_kind x) {
  j = to_string(x);
}

void from_json(const nlohmann::json& j, entry_kind& x) {
  if (!parse_entry_kind(j.get_ref<const std::string&>(), x))
    throw std::invalid_argument("unknown entry kind '" + j.get<std::string>() + "'");
}

} // namespace dxhub
