#pragma once
// GET /health: liveness and a few numbers an operator wants at a glance.
#include <chrono>
#include <cstddef>
#include <functional>

#include "net/http_types.h"

namespace xz::http {

struct HealthSource {
  std::chrono::steady_clock::time_point started;
  std::function<std::size_t()> live_sessions;
  std::function<bool()> shutting_down;
};

void add_health_routes(net::HttpRouter& router, HealthSource source);

}  // namespace xz::http
