#include "http/ota_response.h"

#include <algorithm>
#include <cctype>

#include "protocol/device_token.h"
#include "protocol/mqtt_credentials.h"

namespace xz::http {

namespace {

bool same_device(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string underscored(std::string s) {
  std::replace(s.begin(), s.end(), ':', '_');
  return s;
}

}  // namespace

std::string websocket_token_for(const OtaSettings& s, const OtaDeviceReport& dev, std::int64_t now_s) {
  if (!s.auth_enabled) return {};
  for (const auto& allowed : s.allowed_devices)
    if (same_device(allowed, dev.device_id)) return {};
  return protocol::make_device_token(s.auth_key, dev.client_id, dev.device_id, now_s);
}

nlohmann::json build_ota_response(const OtaSettings& s, const OtaDeviceReport& dev, std::int64_t now_ms,
                                  const std::optional<FirmwareOffer>& firmware,
                                  const std::optional<store::ActivationCode>& activation) {
  nlohmann::json out = nlohmann::json::object();
  out["server_time"] = {{"timestamp", now_ms}, {"timezone_offset", s.timezone_offset_minutes}};
  if (firmware) {
    out["firmware"] = {{"version", firmware->version}, {"url", firmware->url}};
  } else {
    // Echoing the device's own version means "no upgrade". "0.0.0" is never newer.
    out["firmware"] = {{"version", dev.firmware_version.empty() ? "0.0.0" : dev.firmware_version}, {"url", ""}};
  }
  // A device that must activate gets no token: it may not talk before it is bound.
  out["websocket"] = {{"url", websocket_url_for_device(s, dev.device_id)},
                      {"token", activation ? std::string() : websocket_token_for(s, dev, now_ms / 1000)},
                      {"version", s.websocket_version}};
  if (s.mqtt_builtin) {
    // Several servers: the device is handed the node it is assigned to; with every node
    // down it gets no block and stays on the WebSocket.
    if (const MqttNode* node = assign_node(s.mqtt_nodes.nodes, dev.device_id)) {
      auto cred = protocol::make_mqtt_credentials(
          s.mqtt_signature_key, dev.board, dev.device_id,
          protocol::mqtt_user_data(dev.remote_ip.empty() ? "unknown" : dev.remote_ip));
      out["mqtt"] = {{"endpoint", node->endpoint()},       {"client_id", cred.client_id},
                     {"username", cred.username},          {"password", cred.password},
                     {"publish_topic", "device-server"},   {"subscribe_topic", "null"},
                     {"keepalive", s.mqtt_keepalive_seconds}};
    }
  } else if (!s.mqtt_endpoint.empty()) {
    auto cred = protocol::make_mqtt_credentials(s.mqtt_signature_key, dev.board, dev.device_id,
                                                protocol::mqtt_user_data("unknown"));
    out["mqtt"] = {
        {"endpoint", s.mqtt_endpoint},      {"client_id", cred.client_id},
        {"username", cred.username},        {"password", cred.password},
        {"publish_topic", "device-server"}, {"subscribe_topic", "devices/p2p/" + underscored(dev.device_id)}};
  }
  if (activation) {
    out["activation"] = {{"code", activation->code},
                         {"message", s.activation_message + "\n" + activation->code},
                         {"challenge", activation->challenge}};
  }
  return out;
}

}  // namespace xz::http
