#pragma once
// MQTT login the OTA response hands to a device (reference core/api/ota_handler.py,
// gateway utils/mqtt_config_v2.js). The device treats all three strings as opaque.
#include <optional>
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

// The parts of an official client id "<group>@@@<mac with '_'>@@@<uuid>": the device id
// is the MAC with ':' again. std::nullopt unless there are exactly three non-empty parts.
struct MqttClientIdentity {
  std::string group_id;
  std::string device_id;   // aa:bb:cc:dd:ee:ff
  std::string mac_topic;   // aa_bb_cc_dd_ee_ff, as written in the client id
  std::string uuid;
};
std::optional<MqttClientIdentity> parse_mqtt_client_id(std::string_view client_id);

// The official check: password == base64(HMAC-SHA256(key, client_id + "|" + username)),
// compared in constant time. An empty key checks nothing and so accepts nobody.
bool check_mqtt_password(std::string_view signature_key, std::string_view client_id, std::string_view username,
                         std::string_view password);

}  // namespace xz::protocol
