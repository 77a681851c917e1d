#include "dxhub/actors/detail/dashboard_protocol.hpp"

#include "dxhub/schemas/dtype.hpp"
#include "dxhub/schemas/name.hpp"

#include <cstring>

namespace dxhub::actors::detail {

namespace {

error bad(const std::string& what) {
  return error{errc::malformed_message, "dashboard request: " + what};
}

bool numeric(dtype t) {
  return t != dtype::boolean && t != dtype::complex64 && t != dtype::complex128 && t != dtype::f16
         && t != dtype::bf16;
}

std::string fields_of(const frame_schema& schema) {
  std::string out;
  for (const auto& f : schema.fields)
    out += (out.empty() ? "" : ", ") + f.name + " " + std::string{name(f.type)} + to_string(f.dims);
  return out.empty() ? "none" : out;
}

} // namespace

expected<dashboard_request> parse_dashboard_request(std::string_view text) {
  if (text.size() > max_dashboard_request)
    return error{errc::oversized_message, "dashboard request of " + std::to_string(text.size())
                                              + " bytes (at most "
                                              + std::to_string(max_dashboard_request) + ")"};
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return bad("not a JSON object");
  if (!doc.contains("type") || !doc["type"].is_string())
    return bad(R"(no "type" (watch or command))");
  dashboard_request out;
  auto type = doc["type"].get<std::string>();
  if (type == "watch") {
    out.what = dashboard_request::type::watch;
    if (!doc.contains("views") || !doc["views"].is_array())
      return bad(R"(watch without a "views" array)");
    if (doc["views"].size() > max_dashboard_views)
      return bad("more than " + std::to_string(max_dashboard_views) + " views");
    for (const auto& v : doc["views"]) {
      if (!v.is_object() || !v.contains("channel") || !v["channel"].is_string()
          || !v.contains("kind") || !v["kind"].is_string())
        return bad(R"(a view is {"channel": NAME, "kind": "image"|"waveform"})");
      dashboard_view view{v["channel"].get<std::string>(), v["kind"].get<std::string>()};
      if (view.kind != "image" && view.kind != "waveform")
        return bad("unknown view kind '" + view.kind + "' (image, waveform)");
      DXHUB_TRYV(validate_name(view.channel, "channel"));
      out.views.push_back(std::move(view));
    }
    return out;
  }
  if (type == "command") {
    out.what = dashboard_request::type::command;
    if (!doc.contains("service") || !doc["service"].is_string() || !doc.contains("command")
        || !doc["command"].is_string())
      return bad(R"(a command needs "service" and "command" strings)");
    if (doc.contains("id") && !doc["id"].is_number_unsigned())
      return bad(R"("id" must be a non-negative integer)");
    out.id = doc.value("id", uint64_t{0});
    out.service = doc["service"].get<std::string>();
    out.command = doc["command"].get<std::string>();
    DXHUB_TRYV(validate_name(out.service, "service"));
    if (out.command.empty() || out.command.size() > 64)
      return bad("a command name has 1 to 64 characters");
    out.args = doc.contains("args") ? doc["args"] : nlohmann::json::object();
    if (!out.args.is_object() && !out.args.is_null())
      return bad(R"("args" must be a JSON object)");
    return out;
  }
  return bad("unknown type '" + type + "' (watch, command)");
}

expected<std::string> field_for_view(const frame_schema& schema, std::string_view kind) {
  for (const auto& f : schema.fields) {
    if (kind == "image" && f.dims.rank() == 2 && numeric(f.type))
      return f.name;
    if (kind == "waveform" && (f.dims.rank() == 1 || f.dims.rank() == 2)
        && (f.type == dtype::f32 || f.type == dtype::f64))
      return f.name;
  }
  return error{errc::schema_mismatch,
               std::string{kind == "image" ? "no 2-D numeric field to show as an image"
                                           : "no 1-D or 2-D float field to show as a waveform"}
                   + " in " + schema.name + " (fields: " + fields_of(schema) + ")"};
}

std::string frame_message(const nlohmann::json& header, std::span<const std::byte> data) {
  auto head = header.dump();
  // Spaces after the JSON put the bytes at a multiple of 8: the page then
  // views them as a typed array in place instead of copying each frame.
  head.append((8 - (4 + head.size()) % 8) % 8, ' ');
  auto n = static_cast<uint32_t>(head.size());
  std::string out;
  out.resize(4 + head.size() + data.size());
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  std::memcpy(out.data() + 4, head.data(), head.size());
  if (!data.empty())
    std::memcpy(out.data() + 4 + head.size(), data.data(), data.size());
  return out;
}

} // namespace dxhub::actors::detail
