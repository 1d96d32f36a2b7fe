#include "http/health.h"

#include "version.h"

namespace xz::http {

void add_health_routes(net::HttpRouter& router, HealthSource source) {
  router.add("GET", "/health", [source](net::HttpRequest&) -> boost::asio::awaitable<net::HttpResponse> {
    using namespace std::chrono;
    double uptime = duration<double>(steady_clock::now() - source.started).count();
    bool stopping = source.shutting_down && source.shutting_down();
    nlohmann::json body = {
        {"status", stopping ? "shutting_down" : "ok"},
        {"version", kVersion},
        {"uptime_seconds", static_cast<long long>(uptime)},
        {"live_sessions", source.live_sessions ? source.live_sessions() : 0},
    };
    co_return net::HttpResponse::json(stopping ? 503 : 200, body);
  });
}

}  // namespace xz::http
