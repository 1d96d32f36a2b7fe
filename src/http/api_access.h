#pragma once
// Who may call the /api/v1 routes: the one function every route asks, over the server's
// one operator check (admin_auth.h): reads for any logged-in account or the bearer token,
// writes for admins (a console session's writes carry its CSRF token).
#include <memory>
#include <optional>
#include <string>

#include "http/admin_auth.h"
#include "net/http_types.h"

namespace xz::http {

struct ApiAccess {
  std::string admin_token;                      // server.admin_token: used when `auth` is null
  std::shared_ptr<const AdminAuth> auth = nullptr;  // the server's check (token and console sessions)
};

// nullopt when the caller may proceed, else the refusal ({"error": ...}, 401 or 403).
std::optional<net::HttpResponse> authorize(const ApiAccess& access, const net::HttpRequest& req, Access need);

// {"error": message} with `status`: every /api/v1 error.
net::HttpResponse api_error(int status, const std::string& message);

}  // namespace xz::http
