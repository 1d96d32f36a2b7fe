// The console's login parts on their own: the Cookie header parser, the session table
// and the failed-login limiter, with a clock the test moves.
#include <gtest/gtest.h>

#include "http/console_sessions.h"
#include "http/cookie.h"
#include "http/login_limiter.h"

using namespace xz::http;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(CookieHeader, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(cookie_value("xz_session=abc", "xz_session"), "abc");
  EXPECT_EQ(cookie_value("a=1; xz_session=abc; b=2", "xz_session"), "abc");
  EXPECT_EQ(cookie_value("a=1;xz_session=\"abc\"", "xz_session"), "abc");
  EXPECT_EQ(cookie_value("  xz_session = abc  ;", "xz_session"), "abc");
  EXPECT_EQ(cookie_value("xz_session=first; xz_session=second", "xz_session"), "first");
  EXPECT_EQ(cookie_value("xz_session=", "xz_session"), "");
  EXPECT_FALSE(cookie_value("", "xz_session"));
  EXPECT_FALSE(cookie_value("xz_sessionx=1; x_session=2; xz_session", "xz_session"));
  EXPECT_FALSE(cookie_value(";;;===;", "xz_session"));
}

TEST(CookieHeader, TheSessionCookieIsHttpOnlyStrictAndSecureOnlyWhenAsked) {
  const std::string plain = session_cookie("id1", 3600s, false);
  EXPECT_EQ(plain, "xz_session=id1; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600");
  EXPECT_EQ(session_cookie("id1", 3600s, true), plain + "; Secure");
  EXPECT_EQ(cleared_session_cookie(false), "xz_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST(ConsoleSessions, IdsAreRandomAndFindReturnsTheAccountAndCsrfToken) {
  ConsoleSessions s({1800s, 43200s, 10});
  const auto t0 = Clock::time_point{} + 1000h;
  auto a = s.create("alice", xz::store::AccountRole::admin, t0);
  auto b = s.create("alice", xz::store::AccountRole::admin, t0);
  EXPECT_NE(a.id, b.id);
  EXPECT_GE(a.id.size(), 43u) << "32 random bytes";
  EXPECT_NE(a.session.csrf_token, b.session.csrf_token);
  EXPECT_NE(a.session.csrf_token, a.id);
  auto found = s.find(a.id, t0);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->username, "alice");
  EXPECT_EQ(found->csrf_token, a.session.csrf_token);
  EXPECT_FALSE(s.find(a.id + "x", t0));
  EXPECT_FALSE(s.find("", t0));
}

TEST(ConsoleSessions, EndAfterIdleTimeAndAtTheirLifetime) {
  ConsoleSessions s({600s, 3600s, 10});
  const auto t0 = Clock::time_point{} + 1000h;
  auto idle = s.create("a", xz::store::AccountRole::viewer, t0);
  EXPECT_TRUE(s.find(idle.id, t0 + 599s));
  EXPECT_TRUE(s.find(idle.id, t0 + 1198s)) << "each request restarts the idle time";
  EXPECT_FALSE(s.find(idle.id, t0 + 1198s + 600s));
  EXPECT_EQ(s.size(), 0u) << "an expired session found is dropped";

  auto busy = s.create("b", xz::store::AccountRole::viewer, t0);
  for (auto t = t0; t < t0 + 3600s; t += 300s) ASSERT_TRUE(s.find(busy.id, t));
  EXPECT_FALSE(s.find(busy.id, t0 + 3600s)) << "busy or not, a session ends at its lifetime";
}

TEST(ConsoleSessions, AtTheBoundTheLeastRecentlyUsedGoes) {
  ConsoleSessions s({1800s, 43200s, 3});
  const auto t0 = Clock::time_point{} + 1000h;
  auto a = s.create("a", xz::store::AccountRole::viewer, t0);
  auto b = s.create("b", xz::store::AccountRole::viewer, t0 + 1s);
  auto c = s.create("c", xz::store::AccountRole::viewer, t0 + 2s);
  ASSERT_TRUE(s.find(a.id, t0 + 3s));  // a is now the most recent
  for (int i = 0; i < 50; ++i) s.create("flood", xz::store::AccountRole::viewer, t0 + 4s);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_FALSE(s.find(b.id, t0 + 5s));
  EXPECT_FALSE(s.find(c.id, t0 + 5s));
}

TEST(ConsoleSessions, EndUserKeepsOnlyTheNamedSession) {
  ConsoleSessions s({1800s, 43200s, 10});
  const auto t0 = Clock::time_point{} + 1000h;
  auto keep = s.create("a", xz::store::AccountRole::admin, t0);
  auto other = s.create("a", xz::store::AccountRole::admin, t0);
  auto stranger = s.create("b", xz::store::AccountRole::admin, t0);
  EXPECT_EQ(s.end_user("a", keep.id), 1u);
  EXPECT_TRUE(s.find(keep.id, t0));
  EXPECT_FALSE(s.find(other.id, t0));
  EXPECT_TRUE(s.find(stranger.id, t0));
  s.end(keep.id);
  EXPECT_FALSE(s.find(keep.id, t0));
}

TEST(LoginLimiter, PerAccountThenPerAddressWithRetryAfterUntilTheWindowEnds) {
  LoginLimiter l({5, 3, 900s, 100});
  const auto t0 = Clock::time_point{} + 1000h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(l.retry_after("10.0.0.1", "admin", t0 + std::chrono::seconds(i)));
    l.failed("10.0.0.1", "admin", t0 + std::chrono::seconds(i));
  }
  auto wait = l.retry_after("10.0.0.9", "admin", t0 + 100s);
  ASSERT_TRUE(wait) << "the account is held whatever address asks";
  EXPECT_EQ(*wait, 800s);
  EXPECT_FALSE(l.retry_after("10.0.0.9", "admin", t0 + 900s)) << "the window is over";
  EXPECT_FALSE(l.retry_after("10.0.0.1", "other", t0 + 100s)) << "3 failures from this address: under 5";
  l.failed("10.0.0.1", "x1", t0 + 101s);
  l.failed("10.0.0.1", "x2", t0 + 102s);
  EXPECT_TRUE(l.retry_after("10.0.0.1", "never-tried", t0 + 103s)) << "5 failures from this address";
  EXPECT_FALSE(l.retry_after("10.0.0.2", "never-tried", t0 + 103s));
}

TEST(LoginLimiter, SuccessForgetsTheAccountsFailuresNotTheAddresss) {
  LoginLimiter l({3, 2, 900s, 100});
  const auto t0 = Clock::time_point{} + 1000h;
  l.failed("10.0.0.1", "admin", t0);
  l.succeeded("admin", t0);
  l.failed("10.0.0.1", "admin", t0);
  EXPECT_FALSE(l.retry_after("10.0.0.5", "admin", t0)) << "one failure since the success";
  l.failed("10.0.0.1", "admin", t0);
  EXPECT_TRUE(l.retry_after("10.0.0.1", "nobody", t0)) << "the address keeps all three";
}

TEST(LoginLimiter, ZeroMeansNoLimitOfThatKind) {
  LoginLimiter l({0, 0, 900s, 100});
  const auto t0 = Clock::time_point{} + 1000h;
  for (int i = 0; i < 100; ++i) l.failed("10.0.0.1", "admin", t0);
  EXPECT_FALSE(l.retry_after("10.0.0.1", "admin", t0));
}

// The tables stay at max_tracked whatever an attacker sprays (addresses, names).
TEST(LoginLimiter, TablesAreBounded) {
  LoginLimiter l({5, 5, 900s, 64});
  const auto t0 = Clock::time_point{} + 1000h;
  for (int i = 0; i < 5000; ++i) l.failed("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                                          "user" + std::to_string(i), t0);
  EXPECT_EQ(l.tracked_addresses(), 64u);
  EXPECT_EQ(l.tracked_accounts(), 64u);
}
