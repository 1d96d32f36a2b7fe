#pragma once
// Whether a connecting device may talk to us: the reference's rules (auth.enabled,
// allowed_devices, HMAC device tokens with an expiry).
#include <cstdint>
#include <set>
#include <string>

#include "session/identity.h"

namespace xz::session {

struct AuthPolicy {
  bool enabled = false;
  std::set<std::string> allowed_devices;  // normalised device ids
  std::string key;
  std::int64_t expire_seconds = 2592000;
};

struct AuthDecision {
  bool allowed = false;
  std::string reason;  // why not, for the device's alert and the log
};

AuthDecision authorize(const AuthPolicy& policy, const DeviceIdentity& who, std::int64_t now_unix);

}  // namespace xz::session
