#include "protocol/device_token.h"

#include <charconv>

#include "protocol/encoding.h"

namespace xz::protocol {
namespace {

std::string signature(std::string_view key, std::string_view client_id, std::string_view device_id,
                      std::string_view ts) {
  std::string msg;
  msg.reserve(client_id.size() + device_id.size() + ts.size() + 2);
  msg.append(client_id).append("|").append(device_id).append("|").append(ts);
  return base64url_encode(hmac_sha256(key, msg), false);
}

}  // namespace

std::string make_device_token(std::string_view key, std::string_view client_id,
                              std::string_view device_id, std::int64_t unix_ts) {
  const std::string ts = std::to_string(unix_ts);
  return signature(key, client_id, device_id, ts) + "." + ts;
}

TokenCheck verify_device_token(std::string_view key, std::string_view token,
                               std::string_view client_id, std::string_view device_id,
                               std::int64_t now, std::int64_t expire_seconds) {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || token.find('.', dot + 1) != std::string_view::npos) {
    return TokenCheck::malformed;
  }
  const std::string_view sig = token.substr(0, dot);
  const std::string_view ts_text = token.substr(dot + 1);
  // Decimal digits only: the signed text must be exactly what make_device_token writes.
  if (ts_text.empty() || ts_text.size() > 18) return TokenCheck::malformed;
  for (char c : ts_text) {
    if (c < '0' || c > '9') return TokenCheck::malformed;
  }
  if (ts_text.size() > 1 && ts_text[0] == '0') return TokenCheck::malformed;
  std::int64_t ts = 0;
  std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);

  if (!constant_time_equal(sig, signature(key, client_id, device_id, ts_text))) {
    return TokenCheck::bad_signature;
  }
  const std::int64_t lifetime = expire_seconds > 0 ? expire_seconds : kDefaultDeviceTokenLifetime;
  if (now - ts > lifetime) return TokenCheck::expired;
  return TokenCheck::ok;
}

std::string_view to_string(TokenCheck c) {
  switch (c) {
    case TokenCheck::ok: return "ok";
    case TokenCheck::malformed: return "malformed";
    case TokenCheck::bad_signature: return "bad signature";
    case TokenCheck::expired: return "expired";
  }
  return "unknown";
}

}  // namespace xz::protocol
