// The console's cookie and CSRF check on headers from anyone (http/cookie, http/admin_auth):
// "<Cookie header>\n<X-CSRF-Token header>", the first byte choosing GET or POST.
#include <chrono>
#include <memory>

#include "fuzz/fuzz_check.h"
#include "http/admin_auth.h"
#include "http/console_sessions.h"
#include "http/cookie.h"

using namespace xz::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1000);
  static auto sessions = std::make_shared<ConsoleSessions>(SessionLimits{});
  static const auto known = sessions->create("alice", xz::store::AccountRole::viewer, t0);
  static const AdminAuth auth("", sessions, [] { return t0; });

  std::string_view in = xz::fuzz::as_text(data, size);
  const bool post = !in.empty() && (static_cast<unsigned char>(in[0]) & 1);
  const auto nl = in.find('\n');
  const std::string_view cookie = in.substr(0, nl);
  const std::string_view csrf = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);

  if (auto v = cookie_value(cookie, kSessionCookie)) {
    FUZZ_CHECK(v->size() <= cookie.size());
    FUZZ_CHECK(v->data() >= cookie.data() && v->data() + v->size() <= cookie.data() + cookie.size());
  }

  xz::net::HttpRequest req;
  req.method = post ? "POST" : "GET";
  req.headers["cookie"] = std::string(cookie);
  if (!csrf.empty()) req.headers["x-csrf-token"] = std::string(csrf);
  auto d = auth.authorize(req, post ? Access::self : Access::read);
  FUZZ_CHECK(d.caller.has_value() != d.refusal.has_value());
  if (d.refusal) FUZZ_CHECK(d.refusal->status == 401 || d.refusal->status == 403);
  if (d.caller) {
    // Only the one real session gets in, and a POST only with its token.
    FUZZ_CHECK(d.caller->username == "alice" && d.caller->session_id == known.id);
    if (post) FUZZ_CHECK(csrf == known.session.csrf_token);
  }
  return 0;
}
