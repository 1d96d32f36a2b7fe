#include "http/vision_settings.h"

#include <algorithm>

#include "protocol/vision_token.h"

namespace xz::http {

std::string vision_explain_url(const std::string& configured, const std::string& lan_ip, int http_port) {
  if (!configured.empty() && configured.find("你的") == std::string::npos) return configured;
  // An IPv6 literal needs brackets in a URL.
  std::string host = lan_ip.find(':') != std::string::npos ? "[" + lan_ip + "]" : lan_ip;
  return "http://" + host + ":" + std::to_string(http_port) + "/mcp/vision/explain";
}

VisionSettings vision_settings_from_config(const core::Config& cfg, const std::string& lan_ip) {
  VisionSettings s;
  s.explain_url = vision_explain_url(cfg.str("server.vision_explain"), lan_ip, cfg.get<int>("server.http_port", 8003));
  s.allow_test_client = cfg.get<bool>("server.vision_allow_test_client", s.allow_test_client);
  long long concurrent = cfg.get<long long>("server.vision_max_concurrent", static_cast<long long>(s.max_concurrent));
  s.max_concurrent = static_cast<std::size_t>(std::max(1LL, concurrent));
  long long lifetime = cfg.get<long long>("server.vision_token_lifetime_seconds", s.token_lifetime.count());
  s.token_lifetime = std::chrono::seconds(std::max(60LL, lifetime));
  s.max_body_bytes = cfg.get<std::size_t>("server.max_vision_body_bytes", s.max_body_bytes);
  return s;
}

std::string make_vision_token(const protocol::VisionTokenCodec& codec, std::string_view device_id,
                              std::chrono::seconds lifetime, std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  double exp = duration<double>((now + lifetime).time_since_epoch()).count();
  return codec.make(device_id, exp);
}

}  // namespace xz::http
