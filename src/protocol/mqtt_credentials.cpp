#include "protocol/mqtt_credentials.h"

#include <algorithm>

#include "protocol/encoding.h"
#include "protocol/python_json.h"

namespace xz::protocol {

MqttCredentials make_mqtt_credentials(std::string_view signature_key, std::string_view board_model,
                                      std::string_view device_id, std::string_view user_data_json) {
  std::string group = "GID_" + std::string(board_model);
  std::replace(group.begin(), group.end(), ':', '_');
  std::replace(group.begin(), group.end(), ' ', '_');
  std::string mac(device_id);
  std::replace(mac.begin(), mac.end(), ':', '_');

  MqttCredentials c;
  c.client_id = group + "@@@" + mac + "@@@" + mac;
  c.username = base64_encode(user_data_json);
  if (!signature_key.empty()) {
    c.password = base64_encode(hmac_sha256(signature_key, c.client_id + "|" + c.username));
  }
  return c;
}

std::string mqtt_user_data(std::string_view ip) {
  return "{\"ip\": " + python_json_string(ip) + "}";
}

std::optional<MqttClientIdentity> parse_mqtt_client_id(std::string_view client_id) {
  constexpr std::string_view kSep = "@@@";
  const auto a = client_id.find(kSep);
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = client_id.find(kSep, a + kSep.size());
  if (b == std::string_view::npos || client_id.find(kSep, b + kSep.size()) != std::string_view::npos) return std::nullopt;
  MqttClientIdentity id;
  id.group_id = client_id.substr(0, a);
  id.mac_topic = client_id.substr(a + kSep.size(), b - a - kSep.size());
  id.uuid = client_id.substr(b + kSep.size());
  if (id.group_id.empty() || id.mac_topic.empty() || id.uuid.empty()) return std::nullopt;
  id.device_id = id.mac_topic;
  std::replace(id.device_id.begin(), id.device_id.end(), '_', ':');
  return id;
}

bool check_mqtt_password(std::string_view signature_key, std::string_view client_id, std::string_view username,
                         std::string_view password) {
  if (signature_key.empty()) return false;
  std::string signed_text(client_id);
  signed_text += '|';
  signed_text += username;
  return constant_time_equal(base64_encode(hmac_sha256(signature_key, signed_text)), password);
}

}  // namespace xz::protocol
