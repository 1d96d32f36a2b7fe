#include "core/metrics_text.h"

#include <charconv>

namespace xz::core {

std::optional<double> metric_sample(std::string_view text, std::string_view series) {
  for (std::size_t at = 0; at < text.size();) {
    auto eol = text.find('\n', at);
    auto line = text.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    at = eol == std::string_view::npos ? text.size() : eol + 1;
    if (line.size() <= series.size() || !line.starts_with(series) || line[series.size()] != ' ') continue;
    auto value = line.substr(series.size() + 1);
    double v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{}) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace xz::core
