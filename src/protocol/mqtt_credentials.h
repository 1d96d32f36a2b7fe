#pragma once
// MQTT login the OTA response hands to a device (reference core/api/ota_handler.py,
// gateway utils/mqtt_config_v2.js). The device treats all three strings as opaque.
#include <string>
#include <string_view>

namespace xz::protocol {

struct MqttCredentials {
  std::string client_id, username, password;
};

// client_id = "GID_<model>@@@<mac_>@@@<mac_>" (spaces and colons in the model, colons in
// the MAC -> '_'), username = base64(user_data_json), password =
// base64(HMAC-SHA256(signature_key, client_id + "|" + username)); an empty signature key
// gives an empty password, as in the reference.
MqttCredentials make_mqtt_credentials(std::string_view signature_key, std::string_view board_model,
                                      std::string_view device_id, std::string_view user_data_json);

// The reference's user data text: Python json.dumps({"ip": ip}), e.g. {"ip": "unknown"}.
std::string mqtt_user_data(std::string_view ip);

}  // namespace xz::protocol
