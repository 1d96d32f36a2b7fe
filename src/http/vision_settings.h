#pragma once
// What the vision-explain endpoint and the session layer (which hands devices the
// endpoint's URL and a token in MCP initialize) need from the configuration.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/config.h"

namespace xz::protocol {
class VisionTokenCodec;
}

namespace xz::http {

struct VisionSettings {
  // Handed to devices (capabilities.vision.url) and shown by GET; never empty.
  std::string explain_url;
  // `Client-Id: web_test_client` skips the token check (the reference's browser test page).
  bool allow_test_client = false;
  std::size_t max_image_bytes = 5 * 1024 * 1024;
  // The whole upload: the image and the multipart form around it (server.max_vision_body_bytes).
  std::size_t max_body_bytes = 5 * 1024 * 1024 + 64 * 1024;
  // VLLM requests in flight at once; more are answered 503 at once.
  std::size_t max_concurrent = 16;
  std::chrono::seconds token_lifetime{3600};
};

// `configured` (server.vision_explain) when set and not the reference's placeholder
// ("你的..."), else http://<lan_ip>:<http_port>/mcp/vision/explain.
std::string vision_explain_url(const std::string& configured, const std::string& lan_ip, int http_port);

// Reads server.vision_explain, server.http_port, server.vision_allow_test_client,
// server.vision_max_concurrent, server.vision_token_lifetime_seconds and
// server.max_vision_body_bytes.
// `lan_ip` comes from detect_lan_ip() (http/ota_settings.h).
VisionSettings vision_settings_from_config(const core::Config& cfg, const std::string& lan_ip);

// A token for capabilities.vision.token that the endpoint accepts from this device
// until now + lifetime. Costs microseconds (the codec's key is derived once).
std::string make_vision_token(const protocol::VisionTokenCodec& codec, std::string_view device_id,
                              std::chrono::seconds lifetime,
                              std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace xz::http
