#pragma once
// The console's login (on when server.console.enabled):
//   POST /api/v1/auth/login     {"username","password"} -> 200 {"user":{"username","role"},"csrf_token"}
//                               and Set-Cookie xz_session (HttpOnly, SameSite=Strict, Path=/,
//                               Secure over TLS); 401 for a wrong name or password alike;
//                               429 + Retry-After after too many failures (address or account)
//   GET  /api/v1/auth/session   who is calling: {"auth":"session"|"token","user":{...}|null,"csrf_token"}
//                               401 when nobody is logged in
//   POST /api/v1/auth/logout    ends the session (X-CSRF-Token) and clears the cookie
//   POST /api/v1/auth/password  {"old_password","new_password"} (X-CSRF-Token): the caller's own
//                               password; the account's other sessions end
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "http/admin_auth.h"
#include "http/login_limiter.h"
#include "net/http_types.h"

namespace xz::store {
class Accounts;
}

namespace xz::http {

struct AuthRoutesContext {
  store::Accounts& accounts;
  std::shared_ptr<const AdminAuth> auth;  // its sessions are where logins go; must have some
  std::shared_ptr<LoginLimiter> limiter;
  std::size_t max_body_bytes = 4096;
  std::function<std::chrono::system_clock::time_point()> wall_now = [] { return std::chrono::system_clock::now(); };
};

void add_auth_routes(net::HttpRouter& router, AuthRoutesContext ctx);

}  // namespace xz::http
