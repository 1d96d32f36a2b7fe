#pragma once
// What the /api/v1 routes need, and the list of routes they registered (the OpenAPI
// test compares it with docs/api/openapi.yaml).
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "http/api_access.h"
#include "net/http_types.h"

namespace xz::store {
class Store;
}
namespace xz::session {
class SessionRegistry;
}

namespace xz::http {

struct ApiContext {
  store::Store& store;
  session::SessionRegistry& registry;  // online state and transport of devices
  ApiAccess access;
  // The configuration agents choose engines from (saves naming others get 422).
  std::shared_ptr<const core::Config> config;
  // Called after an agent or a device's binding was saved: devices use it from their next turn.
  std::function<void()> agents_changed;
  std::size_t max_body_bytes = 64 * 1024;  // server.max_admin_body_bytes
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

struct ApiRoute {
  std::string method;   // "GET"
  std::string pattern;  // "/api/v1/agents/{id}"
  bool operator==(const ApiRoute&) const = default;
};

// Registers a route and records it in `registered`.
void add_api_route(net::HttpRouter& router, std::vector<ApiRoute>& registered, std::string method,
                   std::string pattern, net::HttpHandler handler, net::RouteLimits limits);

inline std::int64_t unix_seconds(const ApiContext& ctx) {
  return std::chrono::duration_cast<std::chrono::seconds>(ctx.now().time_since_epoch()).count();
}

}  // namespace xz::http
