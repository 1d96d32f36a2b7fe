#pragma once
// get_location(): where the device is, as the reference's get_location finds it: the
// device's public IP address located by ip-api.com (a device on a private network is
// located by the address the lookup sees, the server's), else the configured default
// location geocoded by Open-Meteo, else "I couldn't determine your location". The
// answer goes back to the LLM.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/plugin_config.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct GetLocationSettings {
  // {ip} becomes the device's address, or "" for a private one (ip-api.com then
  // locates the address the request comes from).
  std::string ip_api_url = "http://ip-api.com/json/{ip}";
  std::string geocoding_url = "https://geocoding-api.open-meteo.com/v1/search";
  std::string default_location;  // plugins.get_location.default_location, else get_weather's
  std::chrono::milliseconds timeout{5000};
  std::string description;

  static GetLocationSettings from(const PluginConfig& cfg, const core::Config& root);
};

struct IpPlace {
  std::string city, region, country;
  double latitude = 0, longitude = 0;
};

// The place of an ip-api.com answer ({"status":"success","city":...,"regionName":...,
// "country":...,"lat":...,"lon":...}); nullopt for "fail" answers and anything else.
// Pure: the answer is outside bytes.
std::optional<IpPlace> ip_api_place(const nlohmann::json& answer);

// True for loopback, private, link-local and unspecified addresses and for text that
// is not an address.
bool private_or_unknown_ip(std::string_view ip);

class GetLocation final : public Tool {
 public:
  GetLocation(GetLocationSettings settings, std::shared_ptr<net::HttpClient> http);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  GetLocationSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
