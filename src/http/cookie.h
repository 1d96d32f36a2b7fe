#pragma once
// The console's session cookie: reading one cookie out of a Cookie header sent by
// anyone, and writing the Set-Cookie that holds the session id.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace xz::http {

inline constexpr std::string_view kSessionCookie = "xz_session";

// The value of the first cookie called `name` in a Cookie header ("a=1; b=2"), without
// surrounding double quotes; nullopt when there is none.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

// HttpOnly, SameSite=Strict, Path=/, Max-Age; Secure when the request came over TLS.
std::string session_cookie(std::string_view id, std::chrono::seconds max_age, bool secure);
// The same cookie, expired: the browser forgets it.
std::string cleared_session_cookie(bool secure);

}  // namespace xz::http
