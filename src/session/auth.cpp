#include "session/auth.h"

#include "protocol/device_token.h"

namespace xz::session {

AuthDecision authorize(const AuthPolicy& policy, const DeviceIdentity& who, std::int64_t now_unix) {
  if (!policy.enabled) return {true, {}};
  if (policy.allowed_devices.count(who.device_key)) return {true, {}};
  std::string token = bearer_token(who.authorization);
  if (token.empty()) return {false, "missing token (Authorization: Bearer <token>)"};
  // The OTA answer signs the device id as the client id when the device sent none.
  const std::string& client_id = who.client_id.empty() ? who.device_id : who.client_id;
  switch (protocol::verify_device_token(policy.key, token, client_id, who.device_id, now_unix,
                                        policy.expire_seconds)) {
    case protocol::TokenCheck::ok:
      return {true, {}};
    case protocol::TokenCheck::malformed:
      return {false, "malformed token"};
    case protocol::TokenCheck::bad_signature:
      return {false, "invalid token for this device and client"};
    case protocol::TokenCheck::expired:
      return {false, "token expired"};
  }
  return {false, "invalid token"};
}

}  // namespace xz::session
