#pragma once
// Who may use the operator routes: a script with the admin token ("Authorization:
// Bearer <token>", compared in constant time; full access, no CSRF), or a browser
// logged in to the console (the xz_session cookie). A cookie caller's state-changing
// request must carry the session's CSRF token in X-CSRF-Token; a viewer may only read.
//   nothing usable             -> 401
//   wrong token, bad CSRF, viewer writing -> 403
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"
#include "store/account_repository.h"

namespace xz::http {

class ConsoleSessions;

enum class Access {
  read,   // GET: any logged-in account, the token
  write,  // changes the server's state: admins (CSRF for a cookie), the token
  self,   // changes only the caller's own session or password: any account (CSRF), the token
};
// read for GET, HEAD and OPTIONS; write for every other method.
Access access_for_method(std::string_view method);

struct Caller {
  bool by_token = false;     // the admin token: no account
  std::string username;      // the account; empty for the token
  store::AccountRole role = store::AccountRole::admin;
  std::string session_id;    // the cookie's session; empty for the token
  std::string csrf_token;    // the session's
};

// Exactly one of caller and refusal is set.
struct AccessDecision {
  std::optional<Caller> caller;
  std::optional<net::HttpResponse> refusal;
};

class AdminAuth {
 public:
  using Clock = std::chrono::steady_clock;

  // An empty token takes no scripts; null sessions take no browsers.
  AdminAuth(std::string token, std::shared_ptr<ConsoleSessions> sessions,
            std::function<Clock::time_point()> now = [] { return Clock::now(); });

  // False when neither a token nor console sessions exist: the routes are off (404).
  bool enabled() const { return !token_.empty() || sessions_ != nullptr; }

  // The one check every operator route calls: who is this request, and may it do
  // `need` (by default what its method implies)? Reads only the header, so it also
  // serves as a RouteLimits precheck (a refused body is never read).
  AccessDecision authorize(const net::HttpRequest& req, std::optional<Access> need = std::nullopt) const;
  // authorize(...).refusal: nullopt when the caller may proceed.
  std::optional<net::HttpResponse> refuse(const net::HttpRequest& req, std::optional<Access> need = std::nullopt) const;

  ConsoleSessions* sessions() const { return sessions_.get(); }
  Clock::time_point now() const { return now_(); }

 private:
  std::string token_;
  std::shared_ptr<ConsoleSessions> sessions_;
  std::function<Clock::time_point()> now_;
};

// The token alone, as before accounts: nullopt when the caller may proceed, else the
// refusal (missing -> 401, wrong -> 403).
std::optional<net::HttpResponse> refuse_unauthorized(std::string_view admin_token, const net::HttpRequest& req);

}  // namespace xz::http
