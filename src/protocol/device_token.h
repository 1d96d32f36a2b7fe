#pragma once
// The reference server's WebSocket/OTA device token (core/auth.py, also issued by the
// Java manager-api): base64url_nopad(HMAC_SHA256(key, "client|device|ts")) + "." + ts.
#include <cstdint>
#include <string>
#include <string_view>

namespace xz::protocol {

// The reference's lifetime when server.auth.expire_seconds is missing or <= 0: 30 days.
inline constexpr std::int64_t kDefaultDeviceTokenLifetime = 30 * 24 * 3600;

std::string make_device_token(std::string_view key, std::string_view client_id,
                              std::string_view device_id, std::int64_t unix_ts);

enum class TokenCheck { ok, malformed, bad_signature, expired };

// Signature first (constant-time), then age: `expired` is only reported for an authentic
// token. Valid iff now - ts <= expire_seconds (a timestamp in the future is accepted, as
// in the reference). expire_seconds <= 0 means kDefaultDeviceTokenLifetime.
TokenCheck verify_device_token(std::string_view key, std::string_view token,
                               std::string_view client_id, std::string_view device_id,
                               std::int64_t now, std::int64_t expire_seconds);

std::string_view to_string(TokenCheck c);

}  // namespace xz::protocol
