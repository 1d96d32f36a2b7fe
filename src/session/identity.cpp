#include "session/identity.h"

#include <cctype>
#include <charconv>

namespace xz::session {

namespace {

bool looks_like_mac(std::string_view s) {
  if (s.size() != 17) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':' && s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string normalize_device_id(std::string_view id) {
  std::string out(id);
  if (!looks_like_mac(id)) return out;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = (i % 3 == 2) ? ':' : static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  return out;
}

bool is_valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e || c == kTokenFieldSeparator) return false;
  return true;
}

std::optional<std::string> client_id_problem(std::string_view id) {
  if (id.size() > 128) return "Client-Id is longer than 128 characters";
  for (char c : id) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return "Client-Id may contain only printable ASCII without spaces";
    if (c == kTokenFieldSeparator) return "Client-Id may not contain '|'";
  }
  return std::nullopt;
}

std::string bearer_token(std::string_view authorization) {
  std::string a = trim(authorization);
  if (a.size() > 7 && (a.compare(0, 7, "Bearer ") == 0 || a.compare(0, 7, "bearer ") == 0))
    return trim(std::string_view(a).substr(7));
  return a.find(' ') == std::string::npos ? a : std::string();
}

DeviceIdentity identity_from_request(const net::HttpRequest& req) {
  DeviceIdentity id;
  id.device_id = trim(req.header_or_query("Device-Id"));
  id.device_key = normalize_device_id(id.device_id);
  id.client_id = trim(req.header_or_query("Client-Id"));
  id.authorization = trim(req.header_or_query("Authorization"));
  std::string pv = trim(req.header_or_query("Protocol-Version"));
  int v = 1;
  auto [p, ec] = std::from_chars(pv.data(), pv.data() + pv.size(), v);
  id.protocol_version = (ec == std::errc() && p == pv.data() + pv.size() && v >= 1 && v <= 3) ? v : 1;
  // The reference's MQTT gateway marks its upstream connections this way.
  auto from = req.query.find("from");
  id.from_mqtt_gateway = from != req.query.end() && from->second == "mqtt_gateway";
  // Resolved by the listener: proxy headers count only from server.trusted_proxies.
  id.remote_ip = req.remote_ip;
  return id;
}

}  // namespace xz::session
