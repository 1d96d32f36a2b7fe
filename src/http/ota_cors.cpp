#include "http/ota_cors.h"

namespace xz::http {

void add_cors_headers(net::HttpResponse& resp) {
  resp.headers.emplace_back("Access-Control-Allow-Headers", "client-id, content-type, device-id, authorization");
  resp.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  resp.headers.emplace_back("Access-Control-Allow-Origin", "*");
}

net::HttpHandler with_cors(net::HttpHandler handler) {
  return [h = std::move(handler)](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
    net::HttpResponse resp = co_await h(req);
    add_cors_headers(resp);
    co_return resp;
  };
}

void add_cors_preflight(net::HttpRouter& router, const std::string& path) {
  router.add("OPTIONS", path, [](net::HttpRequest&) -> boost::asio::awaitable<net::HttpResponse> {
    auto resp = net::HttpResponse::text(200, "");
    resp.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    add_cors_headers(resp);
    co_return resp;
  });
}

}  // namespace xz::http
