#include "http/console_settings.h"

#include <algorithm>

namespace xz::http {

ConsoleAuthSettings console_auth_settings_from_config(const core::Config& cfg) {
  ConsoleAuthSettings s;
  s.enabled = cfg.get<bool>("server.console.enabled", s.enabled);
  auto seconds = [&](const char* key, std::chrono::seconds fallback) {
    return std::chrono::seconds(std::max<long long>(1, cfg.get<long long>(key, fallback.count())));
  };
  s.sessions.idle = seconds("server.console.session_idle_seconds", s.sessions.idle);
  s.sessions.lifetime = seconds("server.console.session_lifetime_seconds", s.sessions.lifetime);
  s.sessions.max_sessions =
      std::max<std::size_t>(1, cfg.get<std::size_t>("server.console.max_sessions", s.sessions.max_sessions));
  s.login.max_failures_per_ip = cfg.get<std::size_t>("server.console.login_limit.max_failures_per_ip",
                                                     s.login.max_failures_per_ip);
  s.login.max_failures_per_account = cfg.get<std::size_t>("server.console.login_limit.max_failures_per_account",
                                                          s.login.max_failures_per_account);
  s.login.window = seconds("server.console.login_limit.window_seconds", s.login.window);
  s.login.max_tracked =
      std::max<std::size_t>(1, cfg.get<std::size_t>("server.console.login_limit.max_tracked", s.login.max_tracked));
  s.hashing.log_n = cfg.get<int>("server.console.password_log_n", s.hashing.log_n);
  if (!store::scrypt_params_acceptable(s.hashing))
    throw core::ConfigError({"server.console.password_log_n: expected 1-20, got " + std::to_string(s.hashing.log_n)});
  s.max_concurrent_hashes = std::max<std::size_t>(
      1, cfg.get<std::size_t>("server.console.max_concurrent_logins", s.max_concurrent_hashes));
  return s;
}

}  // namespace xz::http
