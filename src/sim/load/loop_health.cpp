#include "sim/load/loop_health.h"

#include <string>

#include "core/metrics_text.h"

namespace xz::sim {

namespace {

nlohmann::json lateness(std::string_view text, const std::string& name) {
  auto count = core::metric_sample(text, name + "_ms_count");
  auto within = [&](const char* bound) { return core::metric_sample(text, name + "_ms_bucket{le=\"" + bound + "\"}"); };
  auto le5 = within("5"), le20 = within("20");
  auto max = core::metric_sample(text, name + "_max_ms");
  if (!count || !le5 || !le20 || !max) return nullptr;
  return {{"over_5ms", *count - *le5}, {"over_20ms", *count - *le20}, {"max_ms", *max}};
}

}  // namespace

nlohmann::json loop_health(std::string_view metrics_text) {
  auto probes = core::metric_sample(metrics_text, "xiaozhi_event_loop_lag_ms_count");
  auto lag = lateness(metrics_text, "xiaozhi_event_loop_lag");
  auto stall = lateness(metrics_text, "xiaozhi_event_loop_stall");
  if (!probes || lag.is_null() || stall.is_null()) return nullptr;
  return {{"probes", *probes}, {"lag", lag}, {"stall", stall}};
}

}  // namespace xz::sim
