#include "http/ota_settings.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>

#include "core/fnv1a.h"
#include "core/text.h"

namespace xz::http {

std::string detect_lan_ip() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "127.0.0.1";
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(80);
  ::inet_pton(AF_INET, "8.8.8.8", &remote.sin_addr);
  std::string ip = "127.0.0.1";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0) {
    sockaddr_in local{};
    socklen_t len = sizeof local;
    char buf[INET_ADDRSTRLEN] = {};
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
        ::inet_ntop(AF_INET, &local.sin_addr, buf, sizeof buf) && local.sin_addr.s_addr != 0)
      ip = buf;
  }
  ::close(fd);
  return ip;
}

std::vector<std::string> websocket_urls_for(const std::string& configured, const std::string& lan_ip, int port) {
  std::vector<std::string> urls;
  std::string_view rest = configured;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string url(core::trim(rest.substr(0, semi)));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    if (!url.empty() && !core::is_placeholder(url) && std::find(urls.begin(), urls.end(), url) == urls.end())
      urls.push_back(std::move(url));
  }
  if (urls.empty()) urls.push_back("ws://" + lan_ip + ":" + std::to_string(port) + "/xiaozhi/v1/");
  return urls;
}

const std::string& websocket_url_for_device(const OtaSettings& s, std::string_view device_id) {
  static const std::string kNone;
  if (s.websocket_urls.empty()) return kNone;
  // Stable across builds and restarts, unlike std::hash; MAC case does not matter.
  std::string id(device_id);
  for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s.websocket_urls[core::fnv1a(id) % s.websocket_urls.size()];
}

std::string url_base(const std::string& url) {
  if (url.empty() || core::is_placeholder(url)) return {};
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return {};
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return {};
  auto path_start = url.find('/', scheme_end + 3);
  std::string base = url.substr(0, path_start);
  return base.size() > scheme_end + 3 ? base : std::string();
}

OtaSettings ota_settings_from_config(const core::Config& cfg, std::string auth_key, const std::string& lan_ip) {
  OtaSettings s;
  const int port = cfg.get<int>("server.port", 8000);
  const int http_port = cfg.get<int>("server.http_port", 8003);
  s.websocket_urls = websocket_urls_for(cfg.str("server.websocket"), lan_ip, port);
  s.websocket_version = cfg.get<int>("server.websocket_protocol_version", 1);
  if (s.websocket_version < 1 || s.websocket_version > 3) s.websocket_version = 1;
  s.timezone_offset_minutes = static_cast<int>(std::lround(cfg.get<double>("server.timezone_offset", 8.0) * 60));

  s.auth_enabled = cfg.get<bool>("server.auth.enabled", false);
  s.allowed_devices = cfg.get<std::vector<std::string>>("server.auth.allowed_devices", {});
  s.auth_key = std::move(auth_key);

  s.mqtt_endpoint = cfg.str("server.mqtt_gateway");
  s.mqtt_signature_key = cfg.str("server.mqtt_signature_key");
  s.mqtt_builtin = cfg.get<bool>("server.mqtt.enabled", false);
  if (s.mqtt_builtin) {
    std::vector<std::string> problems;
    if (s.mqtt_signature_key.empty())
      problems.push_back("server.mqtt_signature_key: required when server.mqtt.enabled is true (it signs the "
                         "MQTT passwords the OTA answer hands out; without it no device could log in)");
    try {
      s.mqtt_nodes = mqtt_nodes_from_config(cfg, lan_ip);
    } catch (const core::ConfigError& e) {
      problems.insert(problems.end(), e.problems().begin(), e.problems().end());
    }
    s.mqtt_keepalive_seconds = cfg.get<int>("server.mqtt.keepalive_seconds", 240);
    if (!problems.empty()) throw core::ConfigError(std::move(problems));
  }

  s.activation_enabled = cfg.get<bool>("server.activation.enabled", false);
  s.activation_message = cfg.str("server.activation.message", s.activation_message);
  s.activation_code_ttl_seconds =
      std::max<std::int64_t>(60, cfg.get<std::int64_t>("server.activation.code_ttl_seconds", 86400));

  s.firmware_dir = (std::filesystem::path(cfg.str("log.data_dir", "data")) / "bin").string();
  s.firmware_cache_ttl = std::chrono::seconds(std::max(0, cfg.get<int>("firmware_cache_ttl", 30)));

  s.download_base_url = url_base(cfg.str("server.vision_explain"));
  s.fallback_base_url = "http://" + lan_ip + ":" + std::to_string(http_port);
  s.max_body_bytes = cfg.get<std::size_t>("server.max_ota_body_bytes", s.max_body_bytes);
  return s;
}

}  // namespace xz::http
