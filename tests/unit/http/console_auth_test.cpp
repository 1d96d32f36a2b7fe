// Console login and the one authorization check, over real sockets: the auth routes and
// the admin routes (a read: GET /api/devices; a write: POST /api/devices/bind) on one
// HTTP server, with a clock the test moves for session expiry and the login window.
#include <atomic>
#include <regex>

#include <gtest/gtest.h>

#include "http/admin_auth.h"
#include "http/auth_routes.h"
#include "http/console_sessions.h"
#include "http/login_limiter.h"
#include "ota_fixture.h"
#include "store/accounts.h"

using namespace std::chrono_literals;
using xz::test::http_request;
using xz::test::HttpResult;
using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;
namespace store = xz::store;
namespace http = xz::http;

namespace {

constexpr const char* kToken = "console-test-admin-token-0123456789";
constexpr store::ScryptParams kCheap{4, 8, 1};

struct Options {
  http::SessionLimits sessions{600s, 3600s, 100};
  http::LoginLimits login{10, 3, 900s, 1000};
  bool trust_loopback_proxy = false;
};

class ConsoleServer {
 public:
  explicit ConsoleServer(Options o = {}) : dir_(xz::test::fresh_dir("console")), rt_(2, 2) {
    rt_.start();
    store_ = std::make_unique<store::Store>(rt_.pool(), store::database_path(dir_));
    accounts_ = std::make_unique<store::Accounts>(*store_, rt_.pool(), kCheap);
    sessions_ = std::make_shared<http::ConsoleSessions>(o.sessions);
    auth_ = std::make_shared<const http::AdminAuth>(kToken, sessions_, [this] { return now(); });
    auto router = std::make_shared<xz::net::HttpRouter>();
    http::add_auth_routes(*router, {*accounts_, auth_, std::make_shared<http::LoginLimiter>(o.login)});
    http::AdminContext admin{*store_, kToken};
    admin.auth = auth_;
    http::add_admin_routes(*router, std::move(admin));
    xz::net::HttpServerOptions so;
    so.address = "127.0.0.1";
    if (o.trust_loopback_proxy) so.trusted_proxies = xz::core::IpRanges({"127.0.0.1"});
    server_ = std::make_unique<xz::net::HttpServer>(rt_, so, router);
    server_->start();
  }
  ~ConsoleServer() {
    server_->stop_accepting();
    boost::asio::co_spawn(rt_.loop(0), store_->close(), boost::asio::use_future).get();
    rt_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void add_user(const std::string& name, const std::string& password, store::AccountRole role) {
    store::Account a;
    a.username = name;
    a.password_hash = store::hash_password(password, kCheap);
    a.role = role;
    auto job = store_->run([a](store::Database& db) { ASSERT_EQ(store::AccountRepository(db).add(a), store::AccountWrite::done); });
    boost::asio::co_spawn(rt_.loop(0), std::move(job), boost::asio::use_future).get();
  }

  HttpResult request(const std::string& method, const std::string& path, const std::string& body = {},
                     Headers headers = {}) const {
    headers.emplace_back("Content-Type", "application/json");
    return http_request(server_->port(), method, path, body, headers);
  }
  HttpResult login(const std::string& user, const std::string& password, Headers headers = {}) const {
    return request("POST", "/api/v1/auth/login", Json{{"username", user}, {"password", password}}.dump(), headers);
  }

  std::chrono::steady_clock::time_point now() const { return std::chrono::steady_clock::time_point{} + 1000h + offset_.load() * 1s; }
  void advance(std::chrono::seconds d) { offset_ += d.count(); }
  http::ConsoleSessions& sessions() { return *sessions_; }

 private:
  std::string dir_;
  xz::core::Runtime rt_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Accounts> accounts_;
  std::shared_ptr<http::ConsoleSessions> sessions_;
  std::shared_ptr<const http::AdminAuth> auth_;
  std::unique_ptr<xz::net::HttpServer> server_;
  std::atomic<long long> offset_{0};
};

// A logged-in browser: its cookie and CSRF token.
struct Browser {
  std::string cookie;  // "xz_session=..."
  std::string csrf;
  Headers read() const { return {{"Cookie", cookie}}; }
  Headers write() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
};

Browser logged_in(const ConsoleServer& s, const std::string& user, const std::string& password) {
  auto r = s.login(user, password);
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string set = r.header("Set-Cookie");
  Browser b;
  b.cookie = set.substr(0, set.find(';'));
  b.csrf = Json::parse(r.body).value("csrf_token", "");
  return b;
}

const std::string kBind = R"({"code":"123456"})";

}  // namespace

TEST(ConsoleAuth, LoginSetsAHardenedSessionCookieAndReturnsTheCsrfToken) {
  ConsoleServer s;
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  auto r = s.login("alice", "alice-password");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string set = r.header("Set-Cookie");
  EXPECT_TRUE(std::regex_match(set, std::regex("xz_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600")))
      << set;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  auto body = Json::parse(r.body);
  EXPECT_EQ(body["user"], Json({{"username", "alice"}, {"role", "admin"}}));
  const std::string csrf = body["csrf_token"];
  EXPECT_GE(csrf.size(), 43u);

  const std::string cookie = set.substr(0, set.find(';'));
  auto who = s.request("GET", "/api/v1/auth/session", {}, {{"Cookie", cookie}});
  ASSERT_EQ(who.status, 200) << who.body;
  auto w = Json::parse(who.body);
  EXPECT_EQ(w["auth"], "session");
  EXPECT_EQ(w["user"]["username"], "alice");
  EXPECT_EQ(w["role"], "admin");
  EXPECT_EQ(w["csrf_token"], csrf);
  EXPECT_EQ(s.request("GET", "/api/v1/auth/session").status, 401);
}

TEST(ConsoleAuth, CookieIsSecureOnlyWhenATrustedProxySaysHttps) {
  for (bool trusted : {false, true}) {
    Options o;
    o.trust_loopback_proxy = trusted;
    ConsoleServer s(o);
    s.add_user("alice", "alice-password", store::AccountRole::admin);
    auto plain = s.login("alice", "alice-password");
    EXPECT_EQ(plain.header("Set-Cookie").find("Secure"), std::string::npos);
    auto https = s.login("alice", "alice-password", {{"X-Forwarded-Proto", "https"}});
    EXPECT_EQ(https.header("Set-Cookie").find("; Secure") != std::string::npos, trusted)
        << "trusted proxy: " << trusted << " " << https.header("Set-Cookie");
  }
}

TEST(ConsoleAuth, AWrongPasswordAndAnUnknownUserGetTheSameAnswer) {
  ConsoleServer s;
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  auto wrong = s.login("alice", "not-her-password");
  auto unknown = s.login("mallory", "not-her-password");
  auto junk = s.login("bad name;", "not-her-password");
  for (const auto* r : {&wrong, &unknown, &junk}) {
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->body, wrong.body);
    EXPECT_EQ(r->header("Set-Cookie"), "");
  }
  EXPECT_EQ(s.request("POST", "/api/v1/auth/login", R"({"username":"alice"})").status, 400);
  EXPECT_EQ(s.request("POST", "/api/v1/auth/login", "[1]").status, 400);
}

TEST(ConsoleAuth, WritesByCookieNeedTheSessionsCsrfTokenReadsDoNot) {
  ConsoleServer s;
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  auto b = logged_in(s, "alice", "alice-password");
  EXPECT_EQ(s.request("GET", "/api/devices", {}, b.read()).status, 200);
  auto missing = s.request("POST", "/api/devices/bind", kBind, b.read());
  EXPECT_EQ(missing.status, 403);
  EXPECT_NE(missing.body.find("X-CSRF-Token"), std::string::npos) << missing.body;
  EXPECT_EQ(s.request("POST", "/api/devices/bind", kBind, {{"Cookie", b.cookie}, {"X-CSRF-Token", b.csrf + "x"}}).status,
            403);
  auto other = logged_in(s, "alice", "alice-password");
  EXPECT_EQ(s.request("POST", "/api/devices/bind", kBind, {{"Cookie", b.cookie}, {"X-CSRF-Token", other.csrf}}).status,
            403)
      << "another session's token is no good";
  // Through the check: 404 is the bind route's own answer for an unknown code.
  EXPECT_EQ(s.request("POST", "/api/devices/bind", kBind, b.write()).status, 404);
}

TEST(ConsoleAuth, AViewerMayReadAndMindItsOwnSessionButNotWrite) {
  ConsoleServer s;
  s.add_user("vera", "vera-password", store::AccountRole::viewer);
  auto b = logged_in(s, "vera", "vera-password");
  EXPECT_EQ(s.request("GET", "/api/devices", {}, b.read()).status, 200);
  auto refused = s.request("POST", "/api/devices/bind", kBind, b.write());
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("viewer"), std::string::npos) << refused.body;
  auto pw = s.request("POST", "/api/v1/auth/password",
                      Json{{"old_password", "vera-password"}, {"new_password", "vera-password-2"}}.dump(), b.write());
  EXPECT_EQ(pw.status, 200) << pw.body;
  EXPECT_EQ(s.request("POST", "/api/v1/auth/logout", "{}", b.write()).status, 200);
}

TEST(ConsoleAuth, TheBearerTokenStillWorksAndNeedsNoCsrf) {
  ConsoleServer s;
  const Headers bearer{{"Authorization", std::string("Bearer ") + kToken}};
  EXPECT_EQ(s.request("GET", "/api/devices", {}, bearer).status, 200);
  EXPECT_EQ(s.request("POST", "/api/devices/bind", kBind, bearer).status, 404);
  EXPECT_EQ(s.request("POST", "/api/devices/bind", kBind, {{"Authorization", "Bearer wrong"}}).status, 403);
  EXPECT_EQ(s.request("POST", "/api/devices/bind", kBind).status, 401);
  auto who = s.request("GET", "/api/v1/auth/session", {}, bearer);
  ASSERT_EQ(who.status, 200);
  EXPECT_EQ(Json::parse(who.body)["auth"], "token");
}

TEST(ConsoleAuth, LogoutEndsTheSessionAndClearsTheCookie) {
  ConsoleServer s;
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  auto b = logged_in(s, "alice", "alice-password");
  EXPECT_EQ(s.request("POST", "/api/v1/auth/logout", "{}", b.read()).status, 403) << "logout needs the CSRF token";
  auto out = s.request("POST", "/api/v1/auth/logout", "{}", b.write());
  ASSERT_EQ(out.status, 200);
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos) << out.header("Set-Cookie");
  EXPECT_EQ(s.request("GET", "/api/devices", {}, b.read()).status, 401);
  EXPECT_EQ(s.request("GET", "/api/v1/auth/session", {}, b.read()).status, 401);
}

TEST(ConsoleAuth, SessionsExpireWhenIdleAndAtTheirLifetime) {
  ConsoleServer s;  // idle 600 s, lifetime 3600 s
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  auto idle = logged_in(s, "alice", "alice-password");
  s.advance(599s);
  EXPECT_EQ(s.request("GET", "/api/devices", {}, idle.read()).status, 200);
  s.advance(600s);
  EXPECT_EQ(s.request("GET", "/api/devices", {}, idle.read()).status, 401);

  auto busy = logged_in(s, "alice", "alice-password");
  for (int i = 0; i < 11; ++i) {
    s.advance(300s);
    ASSERT_EQ(s.request("GET", "/api/devices", {}, busy.read()).status, 200) << i;
  }
  s.advance(300s);  // 3600 s after its login
  auto ended = s.request("GET", "/api/devices", {}, busy.read());
  EXPECT_EQ(ended.status, 401);
  EXPECT_NE(ended.body.find("log in again"), std::string::npos) << ended.body;
}

TEST(ConsoleAuth, FailedLoginsGet429WithRetryAfterPerAccountAndPerAddress) {
  ConsoleServer s;  // 3 per account, 10 per address, 900 s
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  s.add_user("bob", "bob-password-1", store::AccountRole::admin);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.login("alice", "guess" + std::to_string(i) + "xxxx").status, 401);
  s.advance(60s);
  auto held = s.login("alice", "alice-password");
  EXPECT_EQ(held.status, 429) << "even the right password waits: " << held.body;
  EXPECT_EQ(held.header("Retry-After"), "840");
  EXPECT_EQ(held.header("Set-Cookie"), "");
  // An unknown name is held the same way: 429 says nothing about which names exist.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.login("ghost", "guess" + std::to_string(i) + "xxxx").status, 401);
  EXPECT_EQ(s.login("ghost", "whatever-pw").status, 429);
  EXPECT_EQ(s.login("bob", "bob-password-1").status, 200) << "other accounts are not held";
  s.advance(841s);
  EXPECT_EQ(s.login("alice", "alice-password").status, 200) << "the window is over";

  // The address's window is over too: 10 failures over 10 names reach its limit.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.login("user" + std::to_string(i), "wrong-password").status, 401);
  auto address_held = s.login("bob", "bob-password-1");
  EXPECT_EQ(address_held.status, 429);
  EXPECT_FALSE(address_held.header("Retry-After").empty());
}

TEST(ConsoleAuth, ChangingThePasswordNeedsTheOldOneAndEndsTheOtherSessions) {
  ConsoleServer s;
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  auto here = logged_in(s, "alice", "alice-password");
  auto elsewhere = logged_in(s, "alice", "alice-password");
  auto change = [&](const std::string& old_pw, const std::string& new_pw) {
    return s.request("POST", "/api/v1/auth/password", Json{{"old_password", old_pw}, {"new_password", new_pw}}.dump(),
                     here.write());
  };
  EXPECT_EQ(change("not-the-password", "new-password-1").status, 403);
  EXPECT_EQ(change("alice-password", "short").status, 400);
  EXPECT_EQ(s.request("POST", "/api/v1/auth/password",
                      Json{{"old_password", "alice-password"}, {"new_password", "new-password-1"}}.dump(), here.read())
                .status,
            403)
      << "no CSRF token";
  ASSERT_EQ(change("alice-password", "new-password-1").status, 200);
  EXPECT_EQ(s.request("GET", "/api/devices", {}, here.read()).status, 200) << "this session goes on";
  EXPECT_EQ(s.request("GET", "/api/devices", {}, elsewhere.read()).status, 401) << "the others end";
  EXPECT_EQ(s.login("alice", "alice-password").status, 401);
  EXPECT_EQ(s.login("alice", "new-password-1").status, 200);
}

TEST(ConsoleAuth, SessionsAreBoundedTheOldestLoginEndsFirst) {
  Options o;
  o.sessions.max_sessions = 2;
  ConsoleServer s(o);
  s.add_user("alice", "alice-password", store::AccountRole::admin);
  auto first = logged_in(s, "alice", "alice-password");
  auto second = logged_in(s, "alice", "alice-password");
  auto third = logged_in(s, "alice", "alice-password");
  EXPECT_EQ(s.sessions().size(), 2u);
  EXPECT_EQ(s.request("GET", "/api/devices", {}, first.read()).status, 401);
  EXPECT_EQ(s.request("GET", "/api/devices", {}, second.read()).status, 200);
  EXPECT_EQ(s.request("GET", "/api/devices", {}, third.read()).status, 200);
}
