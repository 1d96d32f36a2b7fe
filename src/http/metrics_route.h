#pragma once
// GET /metrics: the process metrics in the Prometheus text format.
#include "core/metrics.h"
#include "net/http_types.h"

namespace xz::http {

void add_metrics_route(net::HttpRouter& router, const core::Metrics& metrics);

}  // namespace xz::http
