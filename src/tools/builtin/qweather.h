#pragma once
// The reference's get_weather scheme: QWeather's city lookup
// (https://<api_host>/geo/v2/city/lookup?key=&location=&lang=zh), then the city's page on
// qweather.com (the lookup's fxLink) read for today's weather and a 7-day forecast.
// Pure readers of those answers (outside bytes) and the report the LLM gets.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::tools::builtin {

struct QWeatherCity {
  std::string name, id, adm1, adm2, country;
  std::string fx_link;  // the city's page on qweather.com
};

// The first city of a lookup answer; nullopt when there is none (code "404"). Throws
// WebApiError for other error codes (401 bad key, 402 over quota, ...) and non-objects.
std::optional<QWeatherCity> qweather_city_answer(const nlohmann::json& answer);

struct QWeatherDay {
  std::string date, weather, high, low;
};

struct QWeatherPage {
  std::string city;
  std::string abstract;                                    // "晴，比昨天热..."
  std::vector<std::pair<std::string, std::string>> basics;  // ("相对湿度", "72%"), ...
  std::vector<QWeatherDay> days;                           // at most 7
};

// Reads the city page as the reference does (h1.c-submenu__location,
// .c-city-weather-current .current-abstract / .current-basic .current-basic___item,
// .city-forecast-tabs__row). Throws WebApiError when the page has no city name (not a
// city page, or the site changed).
QWeatherPage parse_qweather_page(std::string_view html);

// QWeather's icon code ("101") in words ("多云"); "未知" when unknown.
std::string qweather_icon_text(std::string_view code);

// The reference's report: location, current weather, details (values of "0" left out),
// the 7-day forecast and a closing hint.
std::string qweather_report(const QWeatherPage& page);

}  // namespace xz::tools::builtin
