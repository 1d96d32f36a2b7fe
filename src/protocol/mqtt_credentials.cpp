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

}  // namespace xz::protocol
