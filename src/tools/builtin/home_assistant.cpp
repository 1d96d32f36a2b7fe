#include "tools/builtin/home_assistant.h"

#include <cctype>

#include <fmt/format.h>

namespace xz::tools::builtin {

HomeAssistantSettings HomeAssistantSettings::from(const core::Config& cfg, std::vector<std::string>& problems) {
  const nlohmann::json* modern = cfg.find("plugins.home_assistant");
  const nlohmann::json* legacy = cfg.find("plugins.hass_get_state");
  const bool use_legacy = !(modern && modern->is_object()) && legacy && legacy->is_object() && legacy->contains("base_url");
  PluginConfig pc(cfg, use_legacy ? "hass_get_state" : "home_assistant", problems);
  HomeAssistantSettings s;
  s.base_url = pc.str("base_url", "");
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  if (s.base_url.empty())
    pc.problem("base_url", "required for the Home Assistant functions (e.g. http://homeassistant.local:8123)");
  else if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
    pc.problem("base_url", "expected an http(s) URL");
  s.api_key = pc.str("api_key", "");
  if (s.api_key.empty()) pc.problem("api_key", "required: a Home Assistant long-lived access token");
  s.devices = pc.string_list("devices", {});
  s.timeout = std::chrono::milliseconds(static_cast<long>(pc.number("timeout", 10, 0.1, 120) * 1000));
  return s;
}

std::string HomeAssistantSettings::device_list() const {
  if (devices.empty()) return {};
  std::string out = "Known devices (location, name, entity_id):";
  for (const auto& d : devices) out += "\n" + d;
  return out;
}

bool valid_entity_id(std::string_view id) {
  const std::size_t dot = id.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 >= id.size() || id.size() > 255) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (i == dot) continue;
    if (!(std::islower(c) || std::isdigit(c) || c == '_')) return false;
  }
  return true;
}

std::string entity_domain(std::string_view id) { return std::string(id.substr(0, id.find('.'))); }

HomeAssistant::HomeAssistant(HomeAssistantSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)) {}

boost::asio::awaitable<WebApiReply> HomeAssistant::get_state(std::string entity_id) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = fmt::format("{}/api/states/{}", settings_.base_url, entity_id);
  req.headers = {{"Authorization", "Bearer " + settings_.api_key}, {"Content-Type", "application/json"}};
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 1 << 20;
  co_return co_await call_web_api(*http_, std::move(req));
}

boost::asio::awaitable<WebApiReply> HomeAssistant::call_service(std::string domain, std::string service,
                                                                nlohmann::json data) {
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = fmt::format("{}/api/services/{}/{}", settings_.base_url, domain, service);
  req.headers = {{"Authorization", "Bearer " + settings_.api_key}, {"Content-Type", "application/json"}};
  req.body = data.dump();
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 1 << 20;
  co_return co_await call_web_api(*http_, std::move(req));
}

ToolResult home_assistant_failure(const WebApiReply& reply, std::string_view what, const HomeAssistantSettings& s) {
  const std::string detail = fmt::format("Home Assistant answered HTTP {} to {}: {}", reply.status, what, api_message(reply));
  if (reply.status == 401 || reply.status == 403 || reply.status >= 500) {
    ToolResult r = ToolResult::failed(std::string(kHomeAssistantUnreachable));
    r.result = detail;
    return r;
  }
  std::string text = detail + ".";
  if (reply.status == 404) text += " The entity or service does not exist; use an entity_id from the device list.";
  if (const auto list = s.device_list(); !list.empty()) text += "\n" + list;
  return ToolResult::llm(std::move(text));
}

ToolResult home_assistant_unreachable(const WebApiError& e) {
  ToolResult r = ToolResult::failed(std::string(kHomeAssistantUnreachable));
  r.result = e.what();
  return r;
}

}  // namespace xz::tools::builtin
