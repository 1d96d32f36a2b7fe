#pragma once
// get_weather(location?, lang?): current weather and a forecast. With
// plugins.get_weather.api_host and api_key set (the reference's configuration) the
// reference's scheme: QWeather's city lookup, then the city's qweather.com page (today
// and 7 days); otherwise the free Open-Meteo (geocoding, then a 3-day forecast). Without
// a location the device's city is used (its IP), else default_location. Reports are
// cached per location; API failures give a friendly error.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_client.h"
#include "tools/builtin/plugin_config.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

struct WeatherSettings {
  std::string geocoding_url = "https://geocoding-api.open-meteo.com/v1/search";
  std::string forecast_url = "https://api.open-meteo.com/v1/forecast";
  std::string default_location = "Guangzhou";
  std::string default_lang = "en";  // names and weather words: "en" or "zh"
  std::chrono::milliseconds timeout{10000};
  std::chrono::seconds cache_ttl{600};
  std::size_t cache_entries = 64;
  std::string description;  // "" = the default
  // QWeather: the account's API host ("xxxx.re.qweatherapi.com", or an http(s) base URL)
  // and key; both set (and provider not "open-meteo") selects it.
  std::string api_host, api_key;
  bool use_qweather = false;
  bool allow_private_links = false;  // city pages inside private networks (tests)

  static WeatherSettings from(const PluginConfig& cfg);
};

// Plain words for a WMO weather code ("overcast", "小雨"); lang "zh" or anything else for English.
std::string weather_code_text(int code, std::string_view lang);

class GetWeather final : public Tool {
 public:
  GetWeather(WeatherSettings settings, std::shared_ptr<net::HttpClient> http);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

  // The report for `location` in `lang` ("en", "zh", ...) from the cache or the APIs;
  // nullopt when no such place is found. Throws WebApiError when an API fails.
  boost::asio::awaitable<std::optional<std::string>> report(std::string location, std::string lang);
  // The cached report, without asking the APIs.
  std::optional<std::string> cached_report(std::string_view location, std::string_view lang);
  const WeatherSettings& settings() const { return settings_; }

 private:
  struct Place {
    std::string label;  // "Berlin (Land Berlin, Germany)"
    double latitude = 0, longitude = 0;
  };
  boost::asio::awaitable<std::optional<Place>> geocode(std::string location, std::string lang);
  boost::asio::awaitable<std::string> forecast(Place place, std::string lang);
  // nullopt when QWeather knows no such city.
  boost::asio::awaitable<std::optional<std::string>> qweather_report_for(std::string location);
  std::optional<std::string> cached(const std::string& key);
  void remember(const std::string& key, std::string report);

  WeatherSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  providers::ToolSchema schema_;
  std::mutex mutex_;  // the tool is shared by every session and loop
  struct Entry {
    std::string report;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Entry> cache_;
};

}  // namespace xz::tools::builtin
