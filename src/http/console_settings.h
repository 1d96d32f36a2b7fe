#pragma once
// What the console's accounts, sessions and login limits take from the configuration
// (server.console.*).
#include <cstddef>

#include "core/config.h"
#include "http/console_sessions.h"
#include "http/login_limiter.h"
#include "store/password_hash.h"

namespace xz::http {

struct ConsoleAuthSettings {
  bool enabled = true;  // false: no accounts or login; the operator routes take the token only
  SessionLimits sessions;
  LoginLimits login;
  store::ScryptParams hashing;  // cost of new hashes; stored ones keep their own
  std::size_t max_concurrent_hashes = 4;
};

// Throws core::ConfigError for a hashing cost out of bounds.
ConsoleAuthSettings console_auth_settings_from_config(const core::Config& cfg);

}  // namespace xz::http
