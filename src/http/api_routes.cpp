#include "http/api_routes.h"

#include "http/agent_routes.h"
#include "http/device_routes.h"

namespace xz::http {

void add_api_route(net::HttpRouter& router, std::vector<ApiRoute>& registered, std::string method,
                   std::string pattern, net::HttpHandler handler, net::RouteLimits limits) {
  registered.push_back({method, pattern});
  router.add(std::move(method), std::move(pattern), std::move(handler), std::move(limits));
}

std::vector<ApiRoute> add_api_routes(net::HttpRouter& router, ApiContext context) {
  std::vector<ApiRoute> registered;
  const auto& a = context.access;
  if (a.auth ? !a.auth->enabled() : a.admin_token.empty()) return registered;  // no one could call them
  auto ctx = std::make_shared<const ApiContext>(std::move(context));
  add_agent_routes(router, ctx, registered);
  add_device_routes(router, ctx, registered);
  return registered;
}

}  // namespace xz::http
