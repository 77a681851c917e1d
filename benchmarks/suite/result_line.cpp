#include "dxhub/benchmarks/suite/result_line.hpp"

#include <charconv>
#include <cstdlib>
#include <vector>

namespace dxhub::bench::suite {

namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string_view::npos)
      return fields;
    start = tab + 1;
  }
}

std::optional<double> parse_number(std::string_view text) {
  std::string copy{text};
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size())
    return std::nullopt;
  return value;
}

} // namespace

std::optional<figure> parse_result_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  auto fields = split_tabs(line);
  if (fields.size() != 8 || fields[0] != "RESULT")
    return std::nullopt;
  auto value = parse_number(fields[6]);
  if (!value)
    return std::nullopt;
  return figure{std::string{fields[1]}, std::string{fields[2]}, std::string{fields[3]},
                std::string{fields[4]}, std::string{fields[5]}, *value,
                std::string{fields[7]}};
}

std::optional<uint64_t> size_bytes(std::string_view label) {
  struct suffix {
    std::string_view text;
    uint64_t factor;
  };
  for (auto [text, factor] : {suffix{"GiB", 1ull << 30}, suffix{"MiB", 1ull << 20},
                              suffix{"KiB", 1ull << 10}, suffix{"B", 1}}) {
    if (label.size() <= text.size() || label.substr(label.size() - text.size()) != text)
      continue;
    auto digits = label.substr(0, label.size() - text.size());
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size())
      return std::nullopt;
    return n * factor;
  }
  return std::nullopt;
}

std::string row_key(const figure& f) {
  return f.section + " " + f.bench + " " + f.variant + " " + f.size + " " + f.metric;
}

} // namespace dxhub::bench::suite
