#include "http/auth_routes.h"

#include <tuple>

#include <spdlog/spdlog.h>

#include "http/console_sessions.h"
#include "http/cookie.h"
#include "http/ota_request.h"
#include "store/accounts.h"

namespace xz::http {

namespace {

using Json = nlohmann::json;
using Task = boost::asio::awaitable<net::HttpResponse>;
using Ctx = std::shared_ptr<const AuthRoutesContext>;

// Never cached, by a browser or a proxy: these carry the CSRF token.
net::HttpResponse private_json(int status, const Json& body) {
  auto r = net::HttpResponse::json(status, body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

net::HttpResponse too_many(std::chrono::seconds wait, std::string_view message) {
  auto r = net::HttpResponse::error(429, message);
  r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
  return r;
}

Json user_json(std::string_view username, store::AccountRole role) {
  return {{"username", username}, {"role", store::to_string(role)}};
}

// The string fields of a JSON object body; BadRequest (400/413) otherwise.
std::pair<std::string, std::string> two_strings(const net::HttpRequest& req, std::size_t max, const char* a,
                                                const char* b) {
  auto body = json_object_body(req, max);
  auto ia = body.find(a);
  auto ib = body.find(b);
  if (ia == body.end() || ib == body.end() || !ia->is_string() || !ib->is_string())
    throw BadRequest(400, std::string("body must be {\"") + a + "\":\"...\",\"" + b + "\":\"...\"}");
  return {ia->get<std::string>(), ib->get<std::string>()};
}

std::int64_t unix_now(const Ctx& ctx) {
  return std::chrono::duration_cast<std::chrono::seconds>(ctx->wall_now().time_since_epoch()).count();
}

Task login(Ctx ctx, net::HttpRequest& req) {
  std::string username, password;
  try {
    std::tie(username, password) = two_strings(req, ctx->max_body_bytes, "username", "password");
  } catch (const BadRequest& e) {
    co_return net::HttpResponse::error(e.status(), e.what());
  }
  const auto now = ctx->auth->now();
  // Names that cannot exist are counted under one key, so junk names do not fill the table.
  const std::string account_key = store::valid_username(username) ? username : std::string("\x01invalid");
  if (auto wait = ctx->limiter->retry_after(req.remote_ip, account_key, now))
    co_return too_many(*wait, "too many failed logins; try again later");
  store::PasswordCheck check;
  if (store::valid_username(username) && store::acceptable_password(password))
    check = co_await ctx->accounts.check_password(username, password);
  if (check.outcome == store::PasswordCheck::Outcome::busy)
    co_return too_many(std::chrono::seconds(1), "too many logins at once; try again in a second");
  if (check.outcome != store::PasswordCheck::Outcome::ok) {
    ctx->limiter->failed(req.remote_ip, account_key, now);
    spdlog::warn("console: failed login from {}", req.remote_ip);
    co_return net::HttpResponse::error(401, "wrong user name or password");
  }
  ctx->limiter->succeeded(account_key, now);
  const auto& account = *check.account;
  auto created = ctx->auth->sessions()->create(account.username, account.role, ctx->auth->now());
  spdlog::info("console: {} ({}) logged in from {}", account.username, store::to_string(account.role), req.remote_ip);
  auto r = private_json(200, {{"success", true},
                              {"user", user_json(account.username, account.role)},
                              {"csrf_token", created.session.csrf_token},
                              {"idle_timeout_seconds", ctx->auth->sessions()->limits().idle.count()}});
  r.headers.emplace_back("Set-Cookie", session_cookie(created.id, ctx->auth->sessions()->limits().lifetime, req.secure));
  co_return r;
}

Task session(Ctx ctx, net::HttpRequest& req) {
  auto d = ctx->auth->authorize(req, Access::read);
  if (d.refusal) co_return *d.refusal;
  const Caller& c = *d.caller;
  if (c.by_token)
    co_return private_json(200, {{"auth", "token"}, {"user", nullptr}, {"role", "admin"}, {"csrf_token", nullptr}});
  co_return private_json(200, {{"auth", "session"},
                               {"user", user_json(c.username, c.role)},
                               {"role", store::to_string(c.role)},
                               {"csrf_token", c.csrf_token}});
}

Task logout(Ctx ctx, net::HttpRequest& req) {
  auto d = ctx->auth->authorize(req, Access::self);
  if (d.refusal) co_return *d.refusal;
  if (d.caller->by_token) co_return net::HttpResponse::error(400, "the admin token has no session to end");
  ctx->auth->sessions()->end(d.caller->session_id);
  auto r = private_json(200, {{"success", true}});
  r.headers.emplace_back("Set-Cookie", cleared_session_cookie(req.secure));
  co_return r;
}

Task change_password(Ctx ctx, net::HttpRequest& req) {
  auto d = ctx->auth->authorize(req, Access::self);
  if (d.refusal) co_return *d.refusal;
  if (d.caller->by_token)
    co_return net::HttpResponse::error(400, "the admin token has no account (xiaozhi-server admin set-password USER)");
  std::string old_password, new_password;
  try {
    std::tie(old_password, new_password) = two_strings(req, ctx->max_body_bytes, "old_password", "new_password");
  } catch (const BadRequest& e) {
    co_return net::HttpResponse::error(e.status(), e.what());
  }
  const std::string& user = d.caller->username;
  const auto now = ctx->auth->now();
  if (auto wait = ctx->limiter->retry_after(req.remote_ip, user, now))
    co_return too_many(*wait, "too many failed attempts; try again later");
  if (!store::acceptable_password(new_password))
    co_return net::HttpResponse::error(400, "the new password must have 8 to 1024 characters");
  auto check = co_await ctx->accounts.check_password(user, old_password);
  if (check.outcome == store::PasswordCheck::Outcome::busy)
    co_return too_many(std::chrono::seconds(1), "too many logins at once; try again in a second");
  if (check.outcome != store::PasswordCheck::Outcome::ok) {
    ctx->limiter->failed(req.remote_ip, user, now);
    co_return net::HttpResponse::error(403, "the old password is wrong");
  }
  auto written = co_await ctx->accounts.set_password(user, new_password, unix_now(ctx));
  if (!written) co_return too_many(std::chrono::seconds(1), "too many logins at once; try again in a second");
  if (*written != store::AccountWrite::done) co_return net::HttpResponse::error(401, "the account no longer exists");
  const auto ended = ctx->auth->sessions()->end_user(user, d.caller->session_id);
  spdlog::info("console: {} changed its password ({} other session(s) ended)", user, ended);
  co_return private_json(200, {{"success", true}});
}

}  // namespace

void add_auth_routes(net::HttpRouter& router, AuthRoutesContext context) {
  if (!context.auth || !context.auth->sessions() || !context.limiter) return;
  auto ctx = std::make_shared<const AuthRoutesContext>(std::move(context));
  net::RouteLimits open{ctx->max_body_bytes, nullptr};
  net::RouteLimits logged_in{ctx->max_body_bytes,
                             [ctx](const net::HttpRequest& req) { return ctx->auth->refuse(req, Access::self); }};
  router.add("POST", "/api/v1/auth/login", [ctx](net::HttpRequest& req) { return login(ctx, req); }, open);
  router.add("GET", "/api/v1/auth/session", [ctx](net::HttpRequest& req) { return session(ctx, req); }, open);
  router.add("POST", "/api/v1/auth/logout", [ctx](net::HttpRequest& req) { return logout(ctx, req); }, logged_in);
  router.add("POST", "/api/v1/auth/password", [ctx](net::HttpRequest& req) { return change_password(ctx, req); },
             logged_in);
}

}  // namespace xz::http
