#pragma once
// The documented REST API under /api/v1 (docs/api/openapi.yaml), off unless
// server.admin_token is set: agents (agent_routes.h) and devices (device_routes.h).
// JSON in and out; errors are {"error": "..."} with their status.
#include <vector>

#include "http/api_context.h"

namespace xz::http {

// The routes registered, in order.
std::vector<ApiRoute> add_api_routes(net::HttpRouter& router, ApiContext ctx);

}  // namespace xz::http
