#include "sim/load/loop_health.h"

#include <charconv>
#include <string>

namespace xz::sim {

std::optional<double> prometheus_sample(std::string_view text, std::string_view series) {
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

namespace {

nlohmann::json lateness(std::string_view text, const std::string& name) {
  auto count = prometheus_sample(text, name + "_ms_count");
  auto within = [&](const char* bound) { return prometheus_sample(text, name + "_ms_bucket{le=\"" + bound + "\"}"); };
  auto le5 = within("5"), le20 = within("20");
  auto max = prometheus_sample(text, name + "_max_ms");
  if (!count || !le5 || !le20 || !max) return nullptr;
  return {{"over_5ms", *count - *le5}, {"over_20ms", *count - *le20}, {"max_ms", *max}};
}

}  // namespace

nlohmann::json loop_health(std::string_view metrics_text) {
  auto probes = prometheus_sample(metrics_text, "xiaozhi_event_loop_lag_ms_count");
  auto lag = lateness(metrics_text, "xiaozhi_event_loop_lag");
  auto stall = lateness(metrics_text, "xiaozhi_event_loop_stall");
  if (!probes || lag.is_null() || stall.is_null()) return nullptr;
  return {{"probes", *probes}, {"lag", lag}, {"stall", stall}};
}

}  // namespace xz::sim
