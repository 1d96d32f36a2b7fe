#pragma once
// Place names to coordinates with Open-Meteo's free geocoding API (get_weather,
// get_location): GET <url>?name=&count=1&language=&format=json.
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "net/http_client.h"

namespace xz::tools::builtin {

struct GeoPlace {
  std::string name, admin1, country;  // "Berlin", "Land Berlin", "Germany"
  double latitude = 0, longitude = 0;
};

// The first result of a geocoding answer; nullopt when it has none. Throws WebApiError
// for a result without coordinates. Pure: the answer is outside bytes.
std::optional<GeoPlace> first_geocoded_place(const nlohmann::json& answer);

// Asks the API; nullopt when no place has that name. Throws WebApiError when it fails.
boost::asio::awaitable<std::optional<GeoPlace>> geocode_place(net::HttpClient& http, std::string url,
                                                               std::string name, std::string lang,
                                                               std::chrono::milliseconds timeout);

}  // namespace xz::tools::builtin
