// HTTP requests as the server reads them (net/http_server): Beast's request parser with
// our limits, the HttpRequest made from it (percent-decoded path, query, lower-case
// headers, the client address behind a trusted proxy: net/beast_request.h as the server
// uses it), the WebSocket upgrade check and the router.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fuzz/fuzz_check.h"
#include "net/beast_request.h"
#include "net/http_types.h"
#include "net/ws_handshake.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace xz::net;

namespace {

HttpRouter make_router() {
  HttpRouter r;
  auto echo = [](HttpRequest& req) -> asio::awaitable<HttpResponse> {
    std::string body = req.method + " " + req.path;
    for (const auto& [k, v] : req.params) body += " " + k + "=" + v;
    co_return HttpResponse::text(200, std::move(body));
  };
  for (const char* p : {"/xiaozhi/ota/", "/xiaozhi/ota/activate", "/xiaozhi/ota/download/{file}", "/mcp/vision/explain",
                        "/health", "/api/devices/{id}/tools/{name}"}) {
    r.add("GET", p, echo);
    r.add("POST", p, echo);
  }
  r.enable_cors_preflight("GET, POST, OPTIONS");
  r.add_default_header("Access-Control-Allow-Origin", "*");
  return r;
}

// A coroutine with reference parameters (a capturing lambda would dangle once co_spawn returns).
asio::awaitable<void> dispatch_into(const HttpRouter& router, HttpRequest& req, HttpResponse& out) {
  out = co_await router.dispatch(req);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const HttpRouter router = make_router();
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);  // as net/http_server
  parser.body_limit(64 * 1024);
  parser.eager(true);
  beast::error_code ec;
  asio::const_buffer buf(data, size);
  while (buf.size() > 0 && !parser.is_done()) {
    const std::size_t used = parser.put(buf, ec);
    if (ec == http::error::need_more) break;
    if (ec) return 0;
    buf += used;
  }
  if (!parser.is_done()) {
    if (!parser.got_some()) return 0;  // put_eof's precondition; the server sees a closed socket
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  static const xz::core::IpRanges proxies({"192.0.2.1"});
  static const auto peer = asio::ip::make_address("192.0.2.1");
  HttpRequest req = to_request(parser.get().base(), peer, proxies);
  req.body = parser.get().body();
  FUZZ_CHECK(req.path.size() <= req.target.size());
  (void)req.header_or_query("device-id");
  (void)req.header_or_query("Client-Id");
  if (ws::is_upgrade_request(req)) {
    auto answer = ws::answer_upgrade(req, "xiaozhi-server");
    FUZZ_CHECK(answer.status == 101 || !answer.error.empty());
    return 0;
  }
  static asio::io_context io;  // one per process: making one costs three system calls
  io.restart();
  HttpResponse resp;
  asio::co_spawn(io, dispatch_into(router, req, resp), asio::detached);
  io.run();
  FUZZ_CHECK(resp.status == 200 || resp.status == 404 || resp.status == 405);
  return 0;
}
