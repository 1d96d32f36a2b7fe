#pragma once
// Local, protocol-faithful fakes of the web APIs the built-in functions call, on one
// HTTP server on 127.0.0.1 (ephemeral port, own thread): Open-Meteo geocoding
// (GET /v1/search) and forecast (GET /v1/forecast), Tavily (POST /search), SearxNG
// (GET /search?format=json), Metaso (POST /api/v1/search), Home Assistant
// (GET /api/states/{id}, POST /api/services/{domain}/{service}, which also change the
// fake's entity states), newsnow (GET /api/s?id=), RAGFlow (POST /api/v1/retrieval) and
// plain pages for RSS feeds and news articles (GET /rss/{name}, GET /pages/{name}) and
// the manager-api's address book (GET /device/address-book/call) and pconline's IP
// location (GET /ipJson.jsp, answered in GBK), QWeather's city lookup and city pages
// (GET /geo/v2/city/lookup, /weather/{page}), ip-api.com (GET /json/{ip}), Amap's
// geocoding and place search (GET /v3/...) and NewsAPI (GET /v2/top-headlines).
// Every request is recorded; failures can be injected.
//
//   FakeHttpApis fake;
//   fake.add_place({"Berlin", "Germany", "Land Berlin", 52.52437, 13.41053});
//   ... plugins.get_weather.geocoding_url = fake.url() + "/v1/search" ...
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct FakeHttpCall {
  std::string method;
  std::string path;  // decoded, without the query
  std::string target;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json;  // the body when it is JSON, else null
};

struct FakePlace {
  std::string name, country, admin1;
  double latitude = 0, longitude = 0;
  std::string timezone = "UTC";
};

// What /v1/forecast answers (for any coordinates, which it echoes back).
struct FakeForecast {
  std::string time = "2024-01-10T12:00";
  double temperature = -3.1, apparent = -7.5, wind = 10.2;
  int humidity = 80, weather_code = 3;
  std::vector<std::string> days{"2024-01-10", "2024-01-11", "2024-01-12"};
  std::vector<int> codes{3, 71, 0};
  std::vector<double> max{-1.0, 0.5, 2.0}, min{-5.0, -4.2, -3.0};
  std::vector<int> precipitation{10, 80, 5};
};

struct FakeSearchResult {
  std::string title, url, content;
  std::string date{};  // Metaso's "date"
};

struct FakeNewsItem {
  std::string title, url;
};

struct FakePoi {
  std::string name, address, city, keyword;  // keyword: what searches find it by
  std::string distance, tel, rating;         // "" is sent as [] (Amap's empty value)
};

struct FakeQWeatherDay {
  std::string date, icon, high, low;  // "今天", "101", "33°", "26°"
};

struct FakeQWeatherCity {
  std::string name, id, adm1, slug;  // "广州", "101280101", "广东省", "guangzhou"
  std::string abstract = "多云，比昨天热，现在29°";
  std::vector<std::pair<std::string, std::string>> basics{
      {"2级", "东南风"}, {"72%", "相对湿度"}, {"31°", "体感温度"}, {"0", "降水量"}};  // value, label
  std::vector<FakeQWeatherDay> days{{"今天", "101", "33°", "26°"}, {"明天", "305", "30°", "25°"},
                                    {"周三", "100", "34°", "27°"}};
};

class FakeHttpApis {
 public:
  FakeHttpApis();
  ~FakeHttpApis();
  FakeHttpApis(const FakeHttpApis&) = delete;
  FakeHttpApis& operator=(const FakeHttpApis&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT"
  std::uint16_t port() const;

  // Open-Meteo. Geocoding matches names by case-insensitive prefix.
  void add_place(FakePlace place);
  void set_forecast(FakeForecast forecast);

  // Tavily (key checked in the body or as a bearer token) and SearxNG.
  void set_search_results(std::vector<FakeSearchResult> results);
  void set_tavily_key(std::string key);  // default "tvly-test"
  // A SearxNG instance without the json format enabled answers 403.
  void set_searxng_json_enabled(bool enabled);

  // Metaso answers set_search_results as "webpages"; the key is a bearer token.
  void set_metaso_key(std::string key);  // default "mk-test"

  // newsnow: GET /api/s?id=<source id> answers these items (an unknown id: 500, as
  // newsnow does for sources it cannot fetch).
  void set_newsnow_items(std::string source_id, std::vector<FakeNewsItem> items);

  // GET /pages/<name> and /rss/<name> answer this body; unknown names are 404.
  void set_page(std::string path, std::string body, std::string content_type = "text/html; charset=utf-8");
  // GET <path> answers `status` with a Location header.
  void set_redirect(std::string path, std::string location, int status = 302);

  // RAGFlow. Requests need "Authorization: Bearer <key>"; every dataset answers its
  // chunks (in order) for any question; an unknown dataset id is error code 102.
  void set_ragflow_key(std::string key);  // default "ragflow-test"
  void set_ragflow_chunks(std::string dataset_id, std::vector<std::string> contents);

  // The manager-api's address book (GET /device/address-book/call?callerMac=&nickname=),
  // in its envelope {"code","msg","data"} with HTTP 200 even on errors. A known pair
  // answers data {status, message} as the MQTT gateway would.
  void set_manager_secret(std::string secret);  // default "manager-secret"
  void add_address_book_entry(std::string caller_mac, std::string nickname, std::string gateway_status = "success",
                              std::string gateway_message = "呼叫已发起");

  // whois.pconline.com.cn's GET /ipJson.jsp?ip=<ip>[&json=true]: the real answer's
  // shape (blank lines, then JSON, or JSONP "if(window.IPCallBack) {IPCallBack({...});}"
  // without json=true), GBK-encoded, Content-Type "text/html; charset=GBK". Unknown
  // addresses answer as pconline does for foreign ones: empty pro and city.
  void add_ip_location(std::string ip, std::string province, std::string city, std::string isp = "电信");

  // ip-api.com's GET /json/<ip> (and GET /json/, which locates the caller: the address
  // set_ip_api_caller names). Unknown or private addresses answer as ip-api.com does:
  // {"status":"fail","message":"private range"} or "invalid query".
  void add_ip_api_place(std::string ip, std::string city, std::string region, std::string country, double lat = 0,
                        double lon = 0);
  void set_ip_api_caller(std::string ip);

  // Amap (高德) web service: GET /v3/geocode/geo, /v3/place/around, /v3/place/text with
  // ?key=; a wrong key answers {"status":"0","info":"INVALID_USER_KEY","infocode":"10001"}.
  // Empty fields are [] as Amap sends them.
  void set_amap_key(std::string key);  // default "amap-test"
  void add_amap_address(std::string address, std::string lng_lat, std::string formatted, std::string city);
  void add_amap_poi(FakePoi poi);

  // QWeather: GET /geo/v2/city/lookup?key=&location= (a wrong key: HTTP 401, an unknown
  // city: HTTP 404, both with QWeather's {"error":{...}} body; answers gzip-compressed as
  // QWeather sends them) whose fxLink is this fake's GET /weather/<slug>-<id>.html, a page
  // with qweather.com's markup.
  void set_qweather_key(std::string key);  // default "qw-test"
  void add_qweather_city(FakeQWeatherCity city);

  // NewsAPI's GET /v2/top-headlines?country=&category=&pageSize= with "X-Api-Key" (or
  // ?apiKey=): {"status":"ok","totalResults","articles":[...]}; a wrong key is HTTP 401
  // {"status":"error","code":"apiKeyInvalid",...}. Articles are filtered by category.
  void set_newsapi_key(std::string key);  // default "newsapi-test"
  void add_newsapi_article(std::string category, std::string title, std::string source, std::string url);

  // Home Assistant. Requests need "Authorization: Bearer <token>".
  void set_hass_token(std::string token);  // default "ha-test-token"
  // A full state object: {"entity_id":..., "state":..., "attributes":{...}}.
  void set_entity(nlohmann::json state);
  nlohmann::json entity(const std::string& entity_id) const;  // null when unknown

  // The next request (any path) gets this status and body instead of its answer.
  void fail_next(int status, std::string body = {});
  // The next request is answered only after this delay.
  void delay_next(std::chrono::milliseconds delay);

  std::vector<FakeHttpCall> calls() const;
  std::size_t call_count() const;
  FakeHttpCall last_call() const;  // throws std::logic_error when there is none

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
