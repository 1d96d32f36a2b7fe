#include "http/admin_auth.h"

#include <spdlog/spdlog.h>

#include "http/console_sessions.h"
#include "http/cookie.h"
#include "protocol/encoding.h"

namespace xz::http {

namespace {

AccessDecision refused(int status, std::string_view message) {
  AccessDecision d;
  d.refusal = net::HttpResponse::error(status, message);
  return d;
}

}  // namespace

Access access_for_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" ? Access::read : Access::write;
}

AdminAuth::AdminAuth(std::string token, std::shared_ptr<ConsoleSessions> sessions,
                     std::function<Clock::time_point()> now)
    : token_(std::move(token)), sessions_(std::move(sessions)), now_(std::move(now)) {}

AccessDecision AdminAuth::authorize(const net::HttpRequest& req, std::optional<Access> need) const {
  const Access access = need.value_or(access_for_method(req.method));
  const std::string auth = req.header("Authorization");
  if (!auth.empty()) {
    // A script: the token decides, whatever cookie comes along.
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0)
      return refused(401, "Authorization must be: Bearer <admin token>");
    std::string_view given = std::string_view(auth).substr(kBearer.size());
    if (token_.empty() || !protocol::constant_time_equal(given, token_)) {
      spdlog::warn("admin API: wrong token from {}", req.remote_ip);
      return refused(403, "wrong admin token");
    }
    AccessDecision d;
    d.caller = Caller{true, {}, store::AccountRole::admin, {}, {}};
    return d;
  }
  const std::string cookies = req.header("Cookie");
  auto id = sessions_ ? cookie_value(cookies, kSessionCookie) : std::nullopt;
  std::optional<ConsoleSession> session;
  if (id && !id->empty()) session = sessions_->find(*id, now_());
  if (!session) {
    if (id && !id->empty()) return refused(401, "the console session has ended: log in again");
    return refused(401, sessions_ ? "log in (POST /api/v1/auth/login) or send Authorization: Bearer <admin token>"
                                  : "missing Authorization: Bearer <admin token>");
  }
  if (access != Access::read) {
    // A page of another site can make the browser send the cookie, never this header.
    const std::string csrf = req.header("X-CSRF-Token");
    if (csrf.empty()) return refused(403, "missing X-CSRF-Token (GET /api/v1/auth/session gives it)");
    if (!protocol::constant_time_equal(csrf, session->csrf_token)) return refused(403, "wrong X-CSRF-Token");
    if (access == Access::write && session->role != store::AccountRole::admin)
      return refused(403, "this account may only read (role viewer)");
  }
  AccessDecision d;
  d.caller = Caller{false, session->username, session->role, std::string(*id), session->csrf_token};
  return d;
}

std::optional<net::HttpResponse> AdminAuth::refuse(const net::HttpRequest& req, std::optional<Access> need) const {
  return authorize(req, need).refusal;
}

std::optional<net::HttpResponse> refuse_unauthorized(std::string_view admin_token, const net::HttpRequest& req) {
  return AdminAuth(std::string(admin_token), nullptr).refuse(req, Access::read);
}

}  // namespace xz::http
