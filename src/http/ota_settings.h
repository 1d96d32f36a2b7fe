#pragma once
// What the OTA, activation and firmware endpoints need from the configuration,
// resolved once at start-up.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "http/mqtt_nodes.h"

namespace xz::http {

struct OtaSettings {
  // websocket block
  // Resolved, never empty. server.websocket may list several (";"-separated, as the
  // manager's setting does); each device is given one of them.
  std::vector<std::string> websocket_urls;
  int websocket_version = 1;  // binary framing the device uses (1, 2 or 3)
  // server_time block
  int timezone_offset_minutes = 480;
  // device tokens (websocket.token)
  bool auth_enabled = false;
  std::vector<std::string> allowed_devices;
  std::string auth_key;
  // mqtt block: sent only when mqtt_endpoint is set (its presence switches the device to MQTT)
  std::string mqtt_endpoint;
  std::string mqtt_signature_key;
  // The server's own MQTT endpoint (server.mqtt.enabled): the block names the node the
  // device is assigned to, and takes precedence over mqtt_endpoint.
  bool mqtt_builtin = false;
  MqttNodeSettings mqtt_nodes;
  int mqtt_keepalive_seconds = 240;
  // activation
  bool activation_enabled = false;
  std::string activation_message = "Open the control panel and enter this code";
  std::int64_t activation_code_ttl_seconds = 86400;
  // firmware
  std::string firmware_dir = "data/bin";
  std::chrono::seconds firmware_cache_ttl{30};
  // Base of firmware download URLs ("http://host:8003"); empty = from the request's Host.
  std::string download_base_url;
  // Used when the request has no Host header.
  std::string fallback_base_url = "http://127.0.0.1:8003";
  // OTA check and activation poll bodies (server.max_ota_body_bytes); larger: 413, unread.
  std::size_t max_body_bytes = 64 * 1024;
};

// The source address of a UDP socket "connected" to 8.8.8.8:80 (no packet is sent);
// 127.0.0.1 when there is no route. Blocking only for a system call.
std::string detect_lan_ip();

// The URLs of server.websocket (";"-separated, blanks and the reference's placeholders
// such as "ws://你的ip或者域名:端口号/xiaozhi/v1/" dropped); when none is left,
// ws://<lan_ip>:<port>/xiaozhi/v1/.
std::vector<std::string> websocket_urls_for(const std::string& configured, const std::string& lan_ip, int port);

// The URL a device is told: always the same one for the same device (a device keeps its
// server across OTA checks), spread over the list across devices.
const std::string& websocket_url_for_device(const OtaSettings& s, std::string_view device_id);

// "http://host:port" of a configured URL such as server.vision_explain; empty when
// the URL is empty, a placeholder, or not http(s).
std::string url_base(const std::string& url);

// Reads server.*, log.data_dir and firmware_cache_ttl. Throws core::ConfigError naming
// the key when MQTT is enabled without a signature key or with a bad node list. `auth_key` comes from
// store::load_or_create_auth_key; `lan_ip` from detect_lan_ip().
OtaSettings ota_settings_from_config(const core::Config& cfg, std::string auth_key, const std::string& lan_ip);

}  // namespace xz::http
