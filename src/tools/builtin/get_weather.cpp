#include "tools/builtin/get_weather.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/log.h"
#include "protocol/percent_encoding.h"
#include "tools/builtin/geocoding.h"
#include "tools/builtin/qweather.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

std::string two_letter_lang(std::string_view lang, std::string_view fallback) {
  std::string out;
  for (char c : lang.substr(0, 2)) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (out.size() != 2 || !std::isalpha(static_cast<unsigned char>(out[0])) ||
      !std::isalpha(static_cast<unsigned char>(out[1])))
    return std::string(fallback);
  return out;
}

std::string trimmed(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// The i-th value of a daily series, or the value itself; nullptr when absent.
const nlohmann::json* field(const nlohmann::json& j, const char* key, std::optional<std::size_t> i = std::nullopt) {
  if (!j.is_object() || !j.contains(key)) return nullptr;
  const auto& v = j[key];
  if (i) return v.is_array() && *i < v.size() && !v[*i].is_null() ? &v[*i] : nullptr;
  return v.is_null() ? nullptr : &v;
}

std::string number_text(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return fmt::format("{:.1f}", v.get<double>());
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string unit(const nlohmann::json& units, const char* key, const char* fallback) {
  std::string u = string_field(units, key);
  return u.empty() ? fallback : u;
}

}  // namespace

std::string weather_code_text(int code, std::string_view lang) {
  struct Words {
    int code;
    const char* en;
    const char* zh;
  };
  static constexpr Words kWords[] = {
      {0, "clear sky", "晴"},
      {1, "mainly clear", "晴间少云"},
      {2, "partly cloudy", "多云"},
      {3, "overcast", "阴"},
      {45, "fog", "雾"},
      {48, "depositing rime fog", "雾凇"},
      {51, "light drizzle", "小毛毛雨"},
      {53, "drizzle", "毛毛雨"},
      {55, "dense drizzle", "大毛毛雨"},
      {56, "light freezing drizzle", "小冻毛毛雨"},
      {57, "dense freezing drizzle", "冻毛毛雨"},
      {61, "slight rain", "小雨"},
      {63, "moderate rain", "中雨"},
      {65, "heavy rain", "大雨"},
      {66, "light freezing rain", "小冻雨"},
      {67, "heavy freezing rain", "大冻雨"},
      {71, "slight snowfall", "小雪"},
      {73, "moderate snowfall", "中雪"},
      {75, "heavy snowfall", "大雪"},
      {77, "snow grains", "米雪"},
      {80, "slight rain showers", "小阵雨"},
      {81, "moderate rain showers", "阵雨"},
      {82, "violent rain showers", "强阵雨"},
      {85, "slight snow showers", "小阵雪"},
      {86, "heavy snow showers", "大阵雪"},
      {95, "thunderstorm", "雷阵雨"},
      {96, "thunderstorm with slight hail", "雷阵雨伴有小冰雹"},
      {99, "thunderstorm with heavy hail", "雷阵雨伴有大冰雹"},
  };
  const bool zh = lang.substr(0, 2) == "zh";
  for (const auto& w : kWords)
    if (w.code == code) return zh ? w.zh : w.en;
  return zh ? fmt::format("天气代码 {}", code) : fmt::format("weather code {}", code);
}

WeatherSettings WeatherSettings::from(const PluginConfig& cfg) {
  WeatherSettings s;
  s.geocoding_url = cfg.str("geocoding_url", s.geocoding_url);
  s.forecast_url = cfg.str("forecast_url", s.forecast_url);
  s.default_location = cfg.str("default_location", s.default_location);
  s.default_lang = two_letter_lang(cfg.str("lang", s.default_lang), "en");
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 10, 0.1, 120) * 1000));
  s.cache_ttl = std::chrono::seconds(cfg.integer("cache_seconds", 600, 0, 86400));
  s.description = cfg.description("");
  s.api_host = cfg.str("api_host", "");
  s.api_key = cfg.str("api_key", "");
  for (std::string* v : {&s.api_host, &s.api_key})
    if (v->find("你的") != std::string::npos) v->clear();  // the reference's placeholders
  while (!s.api_host.empty() && s.api_host.back() == '/') s.api_host.pop_back();
  s.allow_private_links = cfg.boolean("allow_private_links", false);
  const std::string provider = lower(cfg.str("provider", "auto"));
  if (provider == "qweather") {
    if (s.api_host.empty() || s.api_key.empty())
      cfg.problem("provider", "qweather needs plugins.get_weather.api_host and api_key");
    s.use_qweather = true;
  } else if (provider == "auto") {
    s.use_qweather = !s.api_host.empty() && !s.api_key.empty();
  } else if (provider != "open-meteo") {
    cfg.problem("provider", fmt::format("unknown provider '{}' (auto, qweather or open-meteo)", provider));
  }
  for (const char* key : {"geocoding_url", "forecast_url"}) {
    std::string url = key == std::string_view("geocoding_url") ? s.geocoding_url : s.forecast_url;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) cfg.problem(key, "expected an http(s) URL");
  }
  return s;
}

GetWeather::GetWeather(WeatherSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)) {
  schema_.name = "get_weather";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : fmt::format("Get the current weather and the forecast for the next days for a place (天气). Call "
                        "this when the user asks about the weather, temperature, rain or what to wear. Without "
                        "a location it uses the device's city, else {}.",
                        settings_.default_location);
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"location",
         {{"type", "string"},
          {"description", "The city or place name, e.g. Berlin or 杭州; omit to use the default location."}}},
        {"lang",
         {{"type", "string"}, {"description", "The user's language code, e.g. zh_CN or en_US (default en)."}}}}},
      {"required", nlohmann::json::array()},
  };
}

std::optional<std::string> GetWeather::cached(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.at >= settings_.cache_ttl) {
    cache_.erase(it);
    return std::nullopt;
  }
  return it->second.report;
}

void GetWeather::remember(const std::string& key, std::string report) {
  if (settings_.cache_ttl.count() == 0 || settings_.cache_entries == 0) return;
  std::lock_guard lock(mutex_);
  if (cache_.size() >= settings_.cache_entries && !cache_.contains(key)) {
    auto oldest = std::min_element(cache_.begin(), cache_.end(),
                                   [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    cache_.erase(oldest);
  }
  cache_[key] = Entry{std::move(report), std::chrono::steady_clock::now()};
}

boost::asio::awaitable<std::optional<GetWeather::Place>> GetWeather::geocode(std::string location, std::string lang) {
  auto found = co_await geocode_place(*http_, settings_.geocoding_url, location, lang, settings_.timeout);
  if (!found) co_return std::nullopt;
  Place p;
  p.latitude = found->latitude;
  p.longitude = found->longitude;
  p.label = found->name.empty() ? location : found->name;
  std::string region;
  for (const std::string& part : {found->admin1, found->country})
    if (!part.empty() && part != p.label) region += (region.empty() ? "" : ", ") + part;
  if (!region.empty()) p.label += " (" + region + ")";
  co_return p;
}

boost::asio::awaitable<std::string> GetWeather::forecast(Place place, std::string lang) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = fmt::format(
      "{}?latitude={:.4f}&longitude={:.4f}"
      "&current=temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m"
      "&daily=weather_code,temperature_2m_max,temperature_2m_min,precipitation_probability_max"
      "&timezone=auto&forecast_days=3",
      settings_.forecast_url, place.latitude, place.longitude);
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 1 << 20;
  nlohmann::json body = co_await fetch_json(*http_, std::move(req), "the forecast API");
  if (!body.is_object() || !body.contains("current") || !body["current"].is_object())
    throw WebApiError("the forecast API sent no current weather", 200);

  const auto& cur = body["current"];
  const auto& cu = body.contains("current_units") ? body["current_units"] : nlohmann::json::object();
  std::string text = fmt::format("Weather for {}:\nNow", place.label);
  if (auto* t = field(cur, "time")) text += fmt::format(" ({} local time)", number_text(*t));
  text += ":";
  std::vector<std::string> parts;
  if (auto* c = field(cur, "weather_code"); c && c->is_number()) parts.push_back(weather_code_text(c->get<int>(), lang));
  if (auto* t = field(cur, "temperature_2m"))
    parts.push_back(number_text(*t) + unit(cu, "temperature_2m", "°C"));
  if (auto* t = field(cur, "apparent_temperature"))
    parts.push_back("feels like " + number_text(*t) + unit(cu, "apparent_temperature", "°C"));
  if (auto* h = field(cur, "relative_humidity_2m"))
    parts.push_back("humidity " + number_text(*h) + unit(cu, "relative_humidity_2m", "%"));
  if (auto* w = field(cur, "wind_speed_10m"))
    parts.push_back("wind " + number_text(*w) + " " + unit(cu, "wind_speed_10m", "km/h"));
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? ", " : " ") + parts[i];
  text += ".";

  if (body.contains("daily") && body["daily"].is_object() && field(body["daily"], "time")) {
    const auto& d = body["daily"];
    const auto& du = body.contains("daily_units") ? body["daily_units"] : nlohmann::json::object();
    text += "\nForecast:";
    for (std::size_t i = 0; i < std::min<std::size_t>(d["time"].size(), 7); ++i) {
      text += "\n- " + number_text(d["time"][i]) + ":";
      std::vector<std::string> day;
      if (auto* c = field(d, "weather_code", i); c && c->is_number()) day.push_back(weather_code_text(c->get<int>(), lang));
      auto* lo = field(d, "temperature_2m_min", i);
      auto* hi = field(d, "temperature_2m_max", i);
      if (lo && hi)
        day.push_back(fmt::format("{} to {}{}", number_text(*lo), number_text(*hi), unit(du, "temperature_2m_max", "°C")));
      if (auto* p = field(d, "precipitation_probability_max", i))
        day.push_back("chance of precipitation " + number_text(*p) + unit(du, "precipitation_probability_max", "%"));
      for (std::size_t k = 0; k < day.size(); ++k) text += (k ? ", " : " ") + day[k];
    }
  }
  co_return text;
}

std::optional<std::string> GetWeather::cached_report(std::string_view location, std::string_view lang) {
  return cached(lower(trimmed(std::string(location))) + "|" + std::string(lang));
}

boost::asio::awaitable<std::optional<std::string>> GetWeather::qweather_report_for(std::string location) {
  const std::string base =
      settings_.api_host.rfind("http://", 0) == 0 || settings_.api_host.rfind("https://", 0) == 0
          ? settings_.api_host
          : "https://" + settings_.api_host;
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = fmt::format("{}/geo/v2/city/lookup?key={}&location={}&lang=zh", base, protocol::percent_encode(settings_.api_key),
                        protocol::percent_encode(location));
  req.headers = {{"Accept-Encoding", "gzip"}};
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 1 << 20;
  WebApiReply reply = co_await call_web_api(*http_, std::move(req));
  // A city it does not know is 404 (with {"code":"404"} in older hosts' bodies).
  if (reply.status == 404) co_return std::nullopt;
  if (reply.status < 200 || reply.status > 299)
    throw WebApiError(fmt::format("QWeather answered HTTP {}: {}", reply.status, api_message(reply)), reply.status);
  auto city = qweather_city_answer(reply.body);
  if (!city) co_return std::nullopt;

  net::HttpClientRequest page_req;
  page_req.method = "GET";
  page_req.url = city->fx_link;
  page_req.headers = {{"Accept-Encoding", "gzip"}, {"Accept", "text/html"}};
  page_req.connect_timeout = page_req.total_timeout = settings_.timeout;
  page_req.max_response_bytes = 4 << 20;
  const auto page = co_await fetch_page(*http_, std::move(page_req), "qweather.com", settings_.allow_private_links);
  co_return qweather_report(parse_qweather_page(page.body));
}

boost::asio::awaitable<std::optional<std::string>> GetWeather::report(std::string location, std::string lang) {
  location = trimmed(std::move(location));
  const std::string key = lower(location) + "|" + lang;
  if (auto hit = cached(key)) co_return std::move(*hit);
  if (settings_.use_qweather) {
    auto text = co_await qweather_report_for(location);
    if (text) remember(key, *text);
    co_return text;
  }
  auto place = co_await geocode(location, lang);
  // "Berlin, Germany": the geocoder matches names only, so try the first part too.
  if (!place) {
    std::size_t comma = std::min(location.find(','), location.find("，"));
    if (comma != std::string::npos && comma > 0) {
      std::string first = trimmed(location.substr(0, comma));
      place = co_await geocode(std::move(first), lang);
    }
  }
  if (!place) co_return std::nullopt;
  std::string text = co_await forecast(*place, lang);
  remember(key, text);
  co_return text;
}

boost::asio::awaitable<ToolResult> GetWeather::call(nlohmann::json arguments, SessionActions& session) {
  std::string location, lang_arg;
  if (arguments.is_object()) {
    if (arguments.contains("location") && arguments["location"].is_string())
      location = trimmed(arguments["location"].get<std::string>());
    if (arguments.contains("lang") && arguments["lang"].is_string()) lang_arg = arguments["lang"].get<std::string>();
  }
  if (location.empty()) location = trimmed(co_await session.client_city());
  if (location.empty()) location = settings_.default_location;
  const std::string lang = two_letter_lang(lang_arg, settings_.default_lang);

  try {
    auto text = co_await report(location, lang);
    if (!text) {
      ToolResult r;
      r.action = Action::not_found;
      r.result = fmt::format("No place called '{}' was found", location);
      r.response = fmt::format("Sorry, I couldn't find a place called {}.", location);
      co_return r;
    }
    co_return ToolResult::llm(std::move(*text));
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("get_weather({}): {}", location, e.what());
    ToolResult r = ToolResult::failed("Sorry, I couldn't get the weather right now. Please try again later.");
    r.result = e.what();
    co_return r;
  }
}

}  // namespace xz::tools::builtin
