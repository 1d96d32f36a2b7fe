#include "http/metrics_route.h"

namespace xz::http {

void add_metrics_route(net::HttpRouter& router, const core::Metrics& metrics) {
  router.add("GET", "/metrics", [&metrics](net::HttpRequest&) -> boost::asio::awaitable<net::HttpResponse> {
    auto r = net::HttpResponse::text(200, metrics.render());
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    co_return r;
  });
}

}  // namespace xz::http
