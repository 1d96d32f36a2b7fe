#include "http/api_access.h"

namespace xz::http {

std::optional<net::HttpResponse> authorize(const ApiAccess& access, const net::HttpRequest& req, Access need) {
  auto refusal = access.auth ? access.auth->refuse(req, need) : refuse_unauthorized(access.admin_token, req);
  if (!refusal) return std::nullopt;
  net::HttpResponse r = api_error(refusal->status, refusal->status == 401 ? "authorization required"
                                                                           : "not allowed");
  r.headers = refusal->headers;
  return r;
}

net::HttpResponse api_error(int status, const std::string& message) {
  return net::HttpResponse::json(status, {{"error", message}});
}

}  // namespace xz::http
