#include "dxhub/schemas/arguments.hpp"

namespace dxhub::detail {

std::string shown_value(const nlohmann::json& value) {
  constexpr std::size_t longest = 60;
  auto text = value.dump();
  if (text.size() > longest)
    text = text.substr(0, longest) + "...";
  return std::string{value.type_name()} + " " + text;
}

} // namespace dxhub::detail
