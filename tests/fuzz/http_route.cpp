// A request target from outside, without Beast's character checks: percent-decoding,
// query parsing and route matching (net/http_types).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "fuzz/fuzz_check.h"
#include "net/http_types.h"

namespace asio = boost::asio;
using namespace xz::net;

namespace {

HttpRouter make_router() {
  HttpRouter r;
  auto echo = [](HttpRequest& req) -> asio::awaitable<HttpResponse> {
    std::string body = req.path;
    for (const auto& [k, v] : req.params) body += " " + k + "=" + v;
    co_return HttpResponse::text(200, std::move(body));
  };
  for (const char* p : {"/", "/xiaozhi/ota/", "/xiaozhi/ota/download/{file}", "/api/{a}/x/{b}", "{only}"}) r.add("GET", p, echo);
  r.enable_cors_preflight("GET, OPTIONS");
  return r;
}

// A coroutine with reference parameters (a capturing lambda would dangle once co_spawn returns).
asio::awaitable<void> dispatch_into(const HttpRouter& router, HttpRequest& req, HttpResponse& out) {
  out = co_await router.dispatch(req);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const HttpRouter router = make_router();
  const std::string_view target = xz::fuzz::as_text(data, size);
  HttpRequest req;
  req.method = size > 0 && data[0] % 3 == 0 ? "OPTIONS" : "GET";
  req.target = std::string(target);
  const auto q = target.find('?');
  req.path = percent_decode(target.substr(0, q));
  FUZZ_CHECK(req.path.size() <= q || q == std::string_view::npos);
  FUZZ_CHECK(req.path.size() <= target.size());
  if (target.find('%') == std::string_view::npos) FUZZ_CHECK(req.path == target.substr(0, q));
  if (q != std::string_view::npos) {
    req.query = parse_query(target.substr(q + 1));
    for (const auto& [k, v] : req.query) FUZZ_CHECK(k.size() + v.size() <= target.size());
  }
  (void)req.header_or_query("device-id");
  static asio::io_context io;  // one per process: making one costs three system calls
  io.restart();
  HttpResponse resp;
  asio::co_spawn(io, dispatch_into(router, req, resp), asio::detached);
  io.run();
  FUZZ_CHECK(resp.status == 200 || resp.status == 404 || resp.status == 405);
  for (const auto& [k, v] : req.params) FUZZ_CHECK(!v.empty() && v.find('/') == std::string::npos);
  return 0;
}
