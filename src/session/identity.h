#pragma once
// Who is connecting: read from the WebSocket upgrade request's headers, or from the
// query string under the same names (browser clients cannot set headers).
#include <optional>
#include <string>

#include "net/http_types.h"

namespace xz::session {

struct DeviceIdentity {
  std::string device_id;      // as sent (tokens are computed over this exact text)
  std::string device_key;     // normalised: MAC-like ids lower-case with ':' separators
  std::string client_id;
  std::string authorization;  // the raw Authorization value
  int protocol_version = 1;   // Protocol-Version header/query; 1 when absent or invalid
  bool from_mqtt_gateway = false;
  std::string remote_ip;      // the client: the peer, or what a trusted proxy reports
};

DeviceIdentity identity_from_request(const net::HttpRequest& req);
// "AA-BB-CC-DD-EE-FF" -> "aa:bb:cc:dd:ee:ff"; other ids unchanged.
std::string normalize_device_id(std::string_view id);
// The token inside "Bearer <token>" (or a bare token); "" when absent.
std::string bearer_token(std::string_view authorization);
// Device ids we accept: 1..64 printable ASCII characters, no '|'.
bool is_valid_device_id(std::string_view id);
// Why a Client-Id is refused, or nullopt when it is fine: at most 128 printable ASCII
// characters without spaces or '|'. The same rule at OTA and on the WebSocket.
std::optional<std::string> client_id_problem(std::string_view id);
// A device token's HMAC input joins client id, device id and time with '|': an id
// holding one could pass for another pair ("a|b" + "c" signs like "a" + "b|c").
inline constexpr char kTokenFieldSeparator = '|';

}  // namespace xz::session
