#include "tools/builtin/geocoding.h"

#include <fmt/format.h>

#include "protocol/percent_encoding.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<GeoPlace> first_geocoded_place(const nlohmann::json& answer) {
  if (!answer.is_object()) return std::nullopt;
  auto results = answer.find("results");
  if (results == answer.end() || !results->is_array() || results->empty()) return std::nullopt;
  const auto& r = (*results)[0];
  if (!r.is_object() || !r.contains("latitude") || !r.contains("longitude") || !r["latitude"].is_number() ||
      !r["longitude"].is_number())
    throw WebApiError("the geocoding API sent a result without coordinates", 200);
  GeoPlace p;
  p.latitude = r["latitude"].get<double>();
  p.longitude = r["longitude"].get<double>();
  p.name = string_field(r, "name");
  p.admin1 = string_field(r, "admin1");
  p.country = string_field(r, "country");
  return p;
}

boost::asio::awaitable<std::optional<GeoPlace>> geocode_place(net::HttpClient& http, std::string url,
                                                               std::string name, std::string lang,
                                                               std::chrono::milliseconds timeout) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = fmt::format("{}?name={}&count=1&language={}&format=json", url, protocol::percent_encode(name), protocol::percent_encode(lang));
  req.connect_timeout = req.total_timeout = timeout;
  req.max_response_bytes = 1 << 20;
  nlohmann::json body = co_await fetch_json(http, std::move(req), "the geocoding API");
  co_return first_geocoded_place(body);
}

}  // namespace xz::tools::builtin
