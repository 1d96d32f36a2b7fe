#include "tools/builtin/get_location.h"

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "core/log.h"
#include "tools/builtin/geocoding.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

std::string text_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string joined(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts)
    if (!p.empty() && out.find(p) == std::string::npos) out += (out.empty() ? "" : ", ") + p;
  return out;
}

bool http_url(std::string_view url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

}  // namespace

GetLocationSettings GetLocationSettings::from(const PluginConfig& cfg, const core::Config& root) {
  GetLocationSettings s;
  s.ip_api_url = cfg.str("ip_api_url", s.ip_api_url);
  s.geocoding_url = cfg.str("geocoding_url", s.geocoding_url);
  s.default_location = cfg.str("default_location", root.str("plugins.get_weather.default_location", ""));
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 5, 0.1, 120) * 1000));
  s.description = cfg.description("");
  if (!s.ip_api_url.empty() && !http_url(s.ip_api_url)) cfg.problem("ip_api_url", "expected an http(s) URL or \"\"");
  if (!http_url(s.geocoding_url)) cfg.problem("geocoding_url", "expected an http(s) URL");
  return s;
}

std::optional<IpPlace> ip_api_place(const nlohmann::json& answer) {
  if (!answer.is_object() || text_field(answer, "status") != "success") return std::nullopt;
  IpPlace p;
  p.city = text_field(answer, "city");
  p.region = text_field(answer, "regionName");
  p.country = text_field(answer, "country");
  if (p.city.empty()) return std::nullopt;
  if (auto lat = answer.find("lat"); lat != answer.end() && lat->is_number()) p.latitude = lat->get<double>();
  if (auto lon = answer.find("lon"); lon != answer.end() && lon->is_number()) p.longitude = lon->get<double>();
  return p;
}

bool private_or_unknown_ip(std::string_view ip) {
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(ip), ec);
  if (ec) return true;
  return private_host(addr.is_v6() ? "http://[" + std::string(ip) + "]/" : "http://" + std::string(ip) + "/");
}

GetLocation::GetLocation(GetLocationSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)) {
  schema_.name = "get_location";
  schema_.description = !settings_.description.empty()
                            ? settings_.description
                            : "Get the current location of the device (where am I, 我在哪里).";
  schema_.parameters = {{"type", "object"}, {"properties", nlohmann::json::object()}, {"required", nlohmann::json::array()}};
}

boost::asio::awaitable<ToolResult> GetLocation::call(nlohmann::json, SessionActions& session) {
  const core::SessionLog log(session.device_id(), session.session_id());
  const std::string ip = session.client_ip();
  if (!settings_.ip_api_url.empty()) {
    std::string url = settings_.ip_api_url;
    const std::string address = private_or_unknown_ip(ip) ? std::string() : ip;
    for (auto at = url.find("{ip}"); at != std::string::npos; at = url.find("{ip}", at + address.size()))
      url.replace(at, 4, address);
    net::HttpClientRequest req;
    req.method = "GET";
    req.url = url;
    req.connect_timeout = req.total_timeout = settings_.timeout;
    req.max_response_bytes = 64 * 1024;
    try {
      nlohmann::json answer = co_await fetch_json(*http_, std::move(req), "ip-api.com");
      if (auto place = ip_api_place(answer)) {
        const std::string where = joined({place->city, place->region, place->country});
        log.info("get_location: {} is in {}", ip.empty() ? "the device" : ip, where);
        co_return ToolResult::llm(fmt::format("I detected you are in {} (based on IP address).", where));
      }
      log.info("get_location: the IP lookup found no city: {}", utf8_truncate(answer.dump(), 200));
    } catch (const WebApiError& e) {
      log.warn("get_location: {}", e.what());
    }
  }
  if (!settings_.default_location.empty()) {
    try {
      auto place = co_await geocode_place(*http_, settings_.geocoding_url, settings_.default_location, "en",
                                          settings_.timeout);
      if (place)
        co_return ToolResult::llm(fmt::format("You are currently in {} (set via the configured default location).",
                                              joined({place->name, place->admin1})));
      log.warn("get_location: no place called '{}'", settings_.default_location);
    } catch (const WebApiError& e) {
      log.warn("get_location: {}", e.what());
    }
  }
  co_return ToolResult::llm("I couldn't determine your location.");
}

}  // namespace xz::tools::builtin
