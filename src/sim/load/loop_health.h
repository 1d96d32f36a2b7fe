#pragma once
// The server's own view of its event loops during a bench scenario, read from the
// /metrics text scraped at the end: how many loop probes fired late, and how many of
// those the server caused itself (a stall) rather than the machine.
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::sim {

// {"probes", "lag": {"over_5ms", "over_20ms", "max_ms"}, "stall": {...}}; null when the
// text has no loop metrics (an older server, or the scrape failed).
nlohmann::json loop_health(std::string_view metrics_text);

}  // namespace xz::sim
