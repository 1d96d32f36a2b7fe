#include "support/fake_http_apis.h"

#include <iconv.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "core/async.h"
#include "core/runtime.h"
#include "net/http_server.h"
#include "net/http_types.h"

namespace xz::test {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

struct FakeHttpApis::Impl {
  core::Runtime rt{1, 1};
  std::unique_ptr<net::HttpServer> server;
  std::string url;  // set once the server listens

  mutable std::mutex mu;
  std::vector<FakeHttpCall> calls;
  std::vector<FakePlace> places;
  FakeForecast forecast;
  std::vector<FakeSearchResult> results;
  std::string tavily_key = "tvly-test";
  bool searxng_json = true;
  std::string hass_token = "ha-test-token";
  std::map<std::string, json> entities;
  std::string metaso_key = "mk-test";
  std::map<std::string, std::vector<FakeNewsItem>> newsnow;
  struct Page {
    int status = 200;
    std::string body, content_type, location;
  };
  std::map<std::string, Page> pages;
  std::string ragflow_key = "ragflow-test";
  std::map<std::string, std::vector<std::string>> ragflow;
  std::string manager_secret = "manager-secret";
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> address_book;
  struct IpPlace {
    std::string province, city, isp;
  };
  std::map<std::string, IpPlace> ip_places;
  struct IpApiPlace {
    std::string city, region, country;
    double lat = 0, lon = 0;
  };
  std::map<std::string, IpApiPlace> ip_api;
  std::string ip_api_caller = "203.0.113.9";
  std::string amap_key = "amap-test";
  struct AmapAddress {
    std::string location, formatted, city;
  };
  std::map<std::string, AmapAddress> amap_addresses;
  std::vector<FakePoi> pois;
  std::string newsapi_key = "newsapi-test";
  struct NewsApiArticle {
    std::string category, title, source, url;
  };
  std::vector<NewsApiArticle> newsapi;
  std::string qweather_key = "qw-test";
  std::vector<FakeQWeatherCity> qweather_cities;
  std::optional<std::pair<int, std::string>> fail;
  std::optional<std::chrono::milliseconds> delay;

  using Handler = HttpResponse (Impl::*)(HttpRequest&);

  // Records the call, applies an injected delay or failure, then answers.
  net::HttpHandler wrap(Handler h) {
    return [this, h](HttpRequest& req) -> boost::asio::awaitable<HttpResponse> {
      std::optional<std::pair<int, std::string>> failure;
      std::optional<std::chrono::milliseconds> wait;
      {
        std::lock_guard lk(mu);
        FakeHttpCall c{req.method, req.path, req.target, req.query, req.headers, req.body, nullptr};
        c.json = json::parse(req.body, nullptr, false);
        if (c.json.is_discarded()) c.json = nullptr;
        calls.push_back(std::move(c));
        failure = std::exchange(fail, std::nullopt);
        wait = std::exchange(delay, std::nullopt);
      }
      if (wait) co_await core::sleep_for(*wait);
      if (failure) {
        HttpResponse r = HttpResponse::text(failure->first, failure->second);
        if (!failure->second.empty() && failure->second[0] == '{') r.content_type = "application/json";
        co_return r;
      }
      std::lock_guard lk(mu);
      co_return (this->*h)(req);
    };
  }

  // ---------------------------------------------------------------- Open-Meteo
  HttpResponse geocode(HttpRequest& req) {
    const std::string name = req.query.count("name") ? req.query["name"] : "";
    if (name.empty())
      return HttpResponse::json(400, {{"error", true}, {"reason", "Parameter 'name' is missing"}});
    std::size_t count = 10;
    if (req.query.count("count")) count = std::stoul(req.query["count"]);
    auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    json results = json::array();
    int id = 2950159;
    for (const auto& p : places) {
      if (results.size() >= count) break;
      if (lower(p.name).rfind(lower(name), 0) != 0) continue;
      results.push_back({{"id", id++},
                         {"name", p.name},
                         {"latitude", p.latitude},
                         {"longitude", p.longitude},
                         {"elevation", 74.0},
                         {"feature_code", "PPLC"},
                         {"country_code", p.country.substr(0, 2)},
                         {"timezone", p.timezone},
                         {"population", 3426354},
                         {"country", p.country},
                         {"admin1", p.admin1}});
    }
    json body = {{"generationtime_ms", 0.71}};
    if (!results.empty()) body["results"] = results;  // Open-Meteo omits the key when nothing matched
    return HttpResponse::json(200, body);
  }

  HttpResponse forecast_answer(HttpRequest& req) {
    if (!req.query.count("latitude") || !req.query.count("longitude"))
      return HttpResponse::json(400, {{"error", true}, {"reason", "Parameter 'latitude' and 'longitude' must have the same number of elements"}});
    const auto& f = forecast;
    json body = {
        {"latitude", std::stod(req.query["latitude"])},
        {"longitude", std::stod(req.query["longitude"])},
        {"generationtime_ms", 0.06},
        {"utc_offset_seconds", 3600},
        {"timezone", "Europe/Berlin"},
        {"timezone_abbreviation", "CET"},
        {"elevation", 38.0},
        {"current_units",
         {{"time", "iso8601"},
          {"interval", "seconds"},
          {"temperature_2m", "°C"},
          {"relative_humidity_2m", "%"},
          {"apparent_temperature", "°C"},
          {"weather_code", "wmo code"},
          {"wind_speed_10m", "km/h"}}},
        {"current",
         {{"time", f.time},
          {"interval", 900},
          {"temperature_2m", f.temperature},
          {"relative_humidity_2m", f.humidity},
          {"apparent_temperature", f.apparent},
          {"weather_code", f.weather_code},
          {"wind_speed_10m", f.wind}}},
        {"daily_units",
         {{"time", "iso8601"},
          {"weather_code", "wmo code"},
          {"temperature_2m_max", "°C"},
          {"temperature_2m_min", "°C"},
          {"precipitation_probability_max", "%"}}},
        {"daily",
         {{"time", f.days},
          {"weather_code", f.codes},
          {"temperature_2m_max", f.max},
          {"temperature_2m_min", f.min},
          {"precipitation_probability_max", f.precipitation}}},
    };
    return HttpResponse::json(200, body);
  }

  // ---------------------------------------------------------------- search
  HttpResponse tavily(HttpRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    std::string key;
    if (body.is_object() && body.contains("api_key") && body["api_key"].is_string()) key = body["api_key"];
    if (key.empty() && req.header("authorization").rfind("Bearer ", 0) == 0) key = req.header("authorization").substr(7);
    if (key != tavily_key)
      return HttpResponse::json(401, {{"detail", {{"error", "Unauthorized: missing or invalid API key."}}}});
    if (!body.is_object() || !body.contains("query") || !body["query"].is_string())
      return HttpResponse::json(400, {{"detail", {{"error", "Query is missing."}}}});
    std::size_t max = body.contains("max_results") && body["max_results"].is_number() ? body["max_results"].get<std::size_t>() : 5;
    json list = json::array();
    double score = 0.98;
    for (const auto& r : results) {
      if (list.size() >= max) break;
      list.push_back({{"title", r.title}, {"url", r.url}, {"content", r.content}, {"score", score}, {"raw_content", nullptr}});
      score -= 0.1;
    }
    return HttpResponse::json(200, {{"query", body["query"]},
                                    {"follow_up_questions", nullptr},
                                    {"answer", nullptr},
                                    {"images", json::array()},
                                    {"results", list},
                                    {"response_time", 0.87}});
  }

  HttpResponse searxng(HttpRequest& req) {
    if (req.query["format"] != "json") {
      HttpResponse r = HttpResponse::text(200, "<!DOCTYPE html><html><body>results</body></html>");
      r.content_type = "text/html; charset=utf-8";
      return r;
    }
    if (!searxng_json) return HttpResponse::text(403, "Forbidden");
    json list = json::array();
    for (const auto& r : results)
      list.push_back({{"url", r.url},
                      {"title", r.title},
                      {"content", r.content},
                      {"engine", "duckduckgo"},
                      {"engines", {"duckduckgo", "brave"}},
                      {"positions", {1}},
                      {"score", 2.0},
                      {"category", "general"}});
    return HttpResponse::json(200, {{"query", req.query["q"]},
                                    {"number_of_results", 0},
                                    {"results", list},
                                    {"answers", json::array()},
                                    {"corrections", json::array()},
                                    {"infoboxes", json::array()},
                                    {"suggestions", json::array()},
                                    {"unresponsive_engines", json::array()}});
  }

  HttpResponse metaso(HttpRequest& req) {
    if (req.header("authorization") != "Bearer " + metaso_key)
      return HttpResponse::json(401, {{"errCode", 401}, {"errMsg", "Unauthorized: invalid API key"}});
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("q") || !body["q"].is_string())
      return HttpResponse::json(400, {{"errCode", 400}, {"errMsg", "q is required"}});
    const std::size_t size = body.contains("size") && body["size"].is_number_unsigned() ? body["size"].get<std::size_t>() : 10;
    json pages_out = json::array();
    int position = 1;
    for (const auto& r : results) {
      if (pages_out.size() >= size) break;
      pages_out.push_back({{"title", r.title},
                           {"link", r.url},
                           {"score", "high"},
                           {"snippet", r.content.substr(0, 40)},
                           {"summary", r.content},
                           {"position", position++},
                           {"date", r.date},
                           {"authors", json::array()}});
    }
    return HttpResponse::json(200, {{"credits", 1},
                                    {"searchParameters", {{"q", body["q"]}, {"scope", "webpage"}, {"size", size}}},
                                    {"webpages", pages_out},
                                    {"total", pages_out.size()}});
  }

  // ---------------------------------------------------------------- news
  HttpResponse newsnow_source(HttpRequest& req) {
    const std::string id = req.query.count("id") ? req.query["id"] : "";
    auto it = newsnow.find(id);
    if (it == newsnow.end())
      return HttpResponse::json(500, {{"error", true}, {"statusCode", 500}, {"message", "Invalid source id"}});
    json items = json::array();
    int n = 0;
    for (const auto& item : it->second)
      items.push_back({{"id", std::to_string(++n)},
                       {"title", item.title},
                       {"url", item.url},
                       {"mobileUrl", item.url},
                       {"extra", {{"hover", item.title}}}});
    return HttpResponse::json(200, {{"status", "success"}, {"id", id}, {"updatedTime", 1704888000000LL}, {"items", items}});
  }

  HttpResponse page(HttpRequest& req) {
    auto it = pages.find(req.path);
    if (it == pages.end()) return HttpResponse::text(404, "Not Found");
    HttpResponse r = HttpResponse::text(it->second.status, it->second.body);
    r.content_type = it->second.content_type;
    if (!it->second.location.empty()) r.headers.emplace_back("Location", it->second.location);
    return r;
  }

  // ---------------------------------------------------------------- pconline ipJson.jsp
  static std::string to_gbk(const std::string& utf8) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    if (cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("iconv: no GBK");
    std::string in = utf8, out(utf8.size() * 2 + 16, '\0');
    char* src = in.data();
    char* dst = out.data();
    std::size_t left = in.size(), room = out.size();
    const std::size_t r = iconv(cd, &src, &left, &dst, &room);
    iconv_close(cd);
    if (r == static_cast<std::size_t>(-1)) throw std::runtime_error("iconv: not encodable in GBK");
    out.resize(out.size() - room);
    return out;
  }

  HttpResponse ip_json(HttpRequest& req) {
    const std::string ip = req.query.count("ip") ? req.query["ip"] : "";
    json body;
    if (auto it = ip_places.find(ip); it != ip_places.end()) {
      const auto& p = it->second;
      body = {{"ip", ip},           {"pro", p.province}, {"proCode", "440000"}, {"city", p.city},
              {"cityCode", "440300"}, {"region", ""},    {"regionCode", "0"},    {"addr", p.province + p.city + " " + p.isp},
              {"regionNames", ""},  {"err", ""}};
    } else {
      body = {{"ip", ip},       {"pro", ""},    {"proCode", "999999"}, {"city", ""},
              {"cityCode", "0"}, {"region", ""}, {"regionCode", "0"},   {"addr", " 美国"},
              {"regionNames", ""}, {"err", "noprovince"}};
    }
    const bool plain = req.query.count("json") && req.query["json"] == "true";
    const std::string text = plain ? "\r\n\r\n\r\n" + body.dump() + "\r\n"
                                   : "\r\n\r\nif(window.IPCallBack) {IPCallBack(" + body.dump() + ");}\r\n";
    HttpResponse r = HttpResponse::text(200, to_gbk(text));
    r.content_type = "text/html; charset=GBK";
    return r;
  }

  // ---------------------------------------------------------------- ip-api.com
  HttpResponse ip_api_json(HttpRequest& req) {
    const std::string ip = req.params.count("ip") ? req.params["ip"] : ip_api_caller;
    auto it = ip_api.find(ip);
    if (it == ip_api.end()) {
      const bool private_range = ip.rfind("10.", 0) == 0 || ip.rfind("192.168.", 0) == 0 || ip.rfind("127.", 0) == 0;
      return HttpResponse::json(
          200, {{"status", "fail"}, {"message", private_range ? "private range" : "invalid query"}, {"query", ip}});
    }
    const auto& p = it->second;
    return HttpResponse::json(200, {{"status", "success"},
                                    {"country", p.country},
                                    {"countryCode", p.country.substr(0, 2)},
                                    {"region", p.region.substr(0, 2)},
                                    {"regionName", p.region},
                                    {"city", p.city},
                                    {"zip", ""},
                                    {"lat", p.lat},
                                    {"lon", p.lon},
                                    {"timezone", "Asia/Shanghai"},
                                    {"isp", "Chinanet"},
                                    {"org", ""},
                                    {"as", "AS4134 CHINANET-BACKBONE"},
                                    {"query", ip}});
  }

  // ---------------------------------------------------------------- Amap
  static json amap_value(const std::string& v) { return v.empty() ? json::array() : json(v); }

  std::optional<HttpResponse> amap_refusal(HttpRequest& req) {
    if (req.query["key"] == amap_key) return std::nullopt;
    return HttpResponse::json(200, {{"status", "0"}, {"info", "INVALID_USER_KEY"}, {"infocode", "10001"}});
  }

  HttpResponse amap_geocode(HttpRequest& req) {
    if (auto r = amap_refusal(req)) return *r;
    json geocodes = json::array();
    if (auto it = amap_addresses.find(req.query["address"]); it != amap_addresses.end())
      geocodes.push_back({{"formatted_address", it->second.formatted},
                          {"country", "中国"},
                          {"province", "浙江省"},
                          {"citycode", "0571"},
                          {"city", it->second.city},
                          {"district", json::array()},
                          {"township", json::array()},
                          {"street", json::array()},
                          {"number", json::array()},
                          {"adcode", "330106"},
                          {"location", it->second.location},
                          {"level", "兴趣点"}});
    return HttpResponse::json(200, {{"status", "1"},
                                    {"info", "OK"},
                                    {"infocode", "10000"},
                                    {"count", std::to_string(geocodes.size())},
                                    {"geocodes", geocodes}});
  }

  HttpResponse amap_places(HttpRequest& req, bool around) {
    if (auto r = amap_refusal(req)) return *r;
    if (req.query["keywords"].empty() && around)
      return HttpResponse::json(200, {{"status", "0"}, {"info", "INVALID_PARAMS"}, {"infocode", "20000"}});
    json list = json::array();
    int id = 1;
    for (const auto& p : pois) {
      if (p.keyword != req.query["keywords"]) continue;
      if (!around && p.city != req.query["city"]) continue;
      list.push_back({{"id", "B0FFG" + std::to_string(id++)},
                      {"parent", json::array()},
                      {"name", p.name},
                      {"type", "餐饮服务;中餐厅;中餐厅"},
                      {"typecode", "050100"},
                      {"address", amap_value(p.address)},
                      {"location", "120.153576,30.287459"},
                      {"tel", amap_value(p.tel)},
                      {"distance", around ? amap_value(p.distance) : json::array()},
                      {"pname", "浙江省"},
                      {"cityname", p.city},
                      {"adname", "西湖区"},
                      {"biz_ext", {{"rating", amap_value(p.rating)}, {"cost", json::array()}}},
                      {"photos", json::array()}});
    }
    return HttpResponse::json(200, {{"suggestion", {{"keywords", json::array()}, {"cities", json::array()}}},
                                    {"count", std::to_string(list.size())},
                                    {"infocode", "10000"},
                                    {"pois", list},
                                    {"status", "1"},
                                    {"info", "OK"}});
  }
  HttpResponse amap_around(HttpRequest& req) { return amap_places(req, true); }
  HttpResponse amap_text(HttpRequest& req) { return amap_places(req, false); }

  // ---------------------------------------------------------------- NewsAPI
  HttpResponse newsapi_headlines(HttpRequest& req) {
    const std::string key = !req.header("x-api-key").empty() ? req.header("x-api-key") : req.query["apiKey"];
    if (key != newsapi_key)
      return HttpResponse::json(401, {{"status", "error"},
                                      {"code", "apiKeyInvalid"},
                                      {"message", "Your API key is invalid or incorrect. Check your key, or go to "
                                                  "https://newsapi.org to create a free API key."}});
    if (req.query["country"].empty() && req.query["category"].empty() && req.query["q"].empty())
      return HttpResponse::json(400, {{"status", "error"},
                                      {"code", "parametersMissing"},
                                      {"message", "Required parameters are missing."}});
    json list = json::array();
    for (const auto& a : newsapi) {
      if (!req.query["category"].empty() && a.category != req.query["category"]) continue;
      list.push_back({{"source", {{"id", nullptr}, {"name", a.source}}},
                      {"author", nullptr},
                      {"title", a.title},
                      {"description", "About: " + a.title},
                      {"url", a.url},
                      {"urlToImage", nullptr},
                      {"publishedAt", "2024-01-10T06:30:00Z"},
                      {"content", nullptr}});
    }
    return HttpResponse::json(200, {{"status", "ok"}, {"totalResults", list.size()}, {"articles", list}});
  }

  // ---------------------------------------------------------------- QWeather
  static std::string gzip(const std::string& data) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2");
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
    return out;
  }

  static HttpResponse gzipped(HttpResponse r) {
    r.body = gzip(r.body);
    r.headers.emplace_back("Content-Encoding", "gzip");
    return r;
  }

  static json qweather_error(int status, const std::string& title, const std::string& detail) {
    return {{"error",
             {{"status", status},
              {"type", "https://dev.qweather.com/docs/resource/error-code/#" + title},
              {"title", title},
              {"detail", detail}}}};
  }

  HttpResponse qweather_lookup(HttpRequest& req) {
    if (req.query["key"] != qweather_key)
      return gzipped(HttpResponse::json(401, qweather_error(401, "Unauthorized", "Invalid authentication credentials.")));
    const std::string& want = req.query["location"];
    for (const auto& c : qweather_cities) {
      // QWeather matches fuzzily: "杭州" and "杭州市" both find 杭州.
      if (c.name.rfind(want, 0) != 0 && want.rfind(c.name, 0) != 0 && c.slug != want) continue;
      json city = {{"name", c.name},     {"id", c.id},         {"lat", "23.12517"},   {"lon", "113.28064"},
                   {"adm2", c.name},     {"adm1", c.adm1},     {"country", "中国"},   {"tz", "Asia/Shanghai"},
                   {"utcOffset", "+08:00"}, {"isDst", "0"},    {"type", "city"},      {"rank", "11"},
                   {"fxLink", url + "/weather/" + c.slug + "-" + c.id + ".html"}};
      return gzipped(HttpResponse::json(200, {{"code", "200"},
                                             {"location", json::array({city})},
                                             {"refer", {{"sources", {"QWeather"}}, {"license", {"QWeather Developers License"}}}}}));
    }
    return gzipped(HttpResponse::json(404, qweather_error(404, "Not Found", "The requested data could not be found.")));
  }

  HttpResponse qweather_page(HttpRequest& req) {
    for (const auto& c : qweather_cities) {
      if (req.params["page"] != c.slug + "-" + c.id + ".html") continue;
      std::string html =
          "<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\"><title>" + c.name +
          "天气预报</title><script>var a = '<div class=\"current-abstract\">x</div>';</script></head><body>\n"
          "<div class=\"c-submenu\"><div class=\"container\"><h1 class=\"c-submenu__location d-flex "
          "align-items-center\">\n  " + c.name + "\n</h1><a href=\"/\">切换</a></div></div>\n"
          "<div class=\"c-city-weather-current\"><div class=\"current-live\"><div class=\"current-live__item\">"
          "<p>29°</p><img src=\"https://a.hecdn.net/img/common/icon/202106d/101.png\" alt=\"\"></div></div>\n"
          "<div class=\"current-abstract\">\n    " + c.abstract + "\n  </div>\n"
          "<div class=\"current-basic d-flex justify-content-between align-items-center\">\n";
      for (const auto& [value, label] : c.basics)
        html += "<div class=\"current-basic___item\">\n  <p>" + value + "</p>\n  <p>" + label + "</p>\n</div>\n";
      html += "</div></div>\n<div class=\"city-forecast-tabs\"><div class=\"city-forecast-tabs__content\">\n";
      for (const auto& d : c.days)
        html += "<div class=\"city-forecast-tabs__row d-flex\"><div class=\"date-bg\"><p class=\"date\">" + d.date +
                "</p><p class=\"date-num\">7/27</p><img class=\"icon\" src=\"https://a.hecdn.net/img/common/icon/202106d/" +
                d.icon + ".png\" alt=\"\"></div><div class=\"tmp-cont\"><p class=\"temp\">" + d.high +
                "</p><div class=\"tmp-line\"></div><p class=\"temp\">" + d.low + "</p></div></div>\n";
      html += "</div></div><!-- <h1 class=\"c-submenu__location\">not this</h1> --></body></html>\n";
      HttpResponse r = HttpResponse::text(200, html);
      r.content_type = "text/html; charset=utf-8";
      return gzipped(std::move(r));
    }
    return HttpResponse::text(404, "Not Found");
  }

  // ---------------------------------------------------------------- RAGFlow
  HttpResponse retrieval(HttpRequest& req) {
    if (req.header("authorization") != "Bearer " + ragflow_key)
      return HttpResponse::json(200, {{"code", 109}, {"message", "Authentication error: API key is invalid!"}});
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("question") || !body["question"].is_string())
      return HttpResponse::json(200, {{"code", 102}, {"message", "`question` is required."}});
    if (!body.contains("dataset_ids") || !body["dataset_ids"].is_array() || body["dataset_ids"].empty())
      return HttpResponse::json(200, {{"code", 102}, {"message", "`datasets` is required."}});
    json chunks = json::array();
    for (const auto& id : body["dataset_ids"]) {
      auto it = id.is_string() ? ragflow.find(id.get<std::string>()) : ragflow.end();
      if (it == ragflow.end())
        return HttpResponse::json(200, {{"code", 102}, {"message", "You don't own the dataset " + id.dump() + "."}});
      int n = 0;
      for (const auto& content : it->second)
        chunks.push_back({{"content", content},
                          {"content_ltks", content},
                          {"document_id", "doc-" + it->first},
                          {"document_keyword", "1.txt"},
                          {"highlight", content},
                          {"id", it->first + "-" + std::to_string(++n)},
                          {"image_id", ""},
                          {"important_keywords", json::array({""})},
                          {"kb_id", it->first},
                          {"positions", json::array({""})},
                          {"similarity", 0.96 - 0.01 * n},
                          {"term_similarity", 1.0},
                          {"vector_similarity", 0.89}});
    }
    const std::size_t page_size =
        body.contains("page_size") && body["page_size"].is_number_unsigned() ? body["page_size"].get<std::size_t>() : 30;
    const std::size_t total = chunks.size();
    if (chunks.size() > page_size) chunks.erase(chunks.begin() + static_cast<long>(page_size), chunks.end());
    return HttpResponse::json(200, {{"code", 0},
                                    {"data",
                                     {{"chunks", chunks},
                                      {"doc_aggs", json::array()},
                                      {"total", total}}}});
  }

  // ---------------------------------------------------------------- manager-api
  HttpResponse address_book_call(HttpRequest& req) {
    if (req.header("authorization") != "Bearer " + manager_secret)
      return HttpResponse::json(200, {{"code", 401}, {"msg", "未授权"}});
    auto it = address_book.find({req.query["callerMac"], req.query["nickname"]});
    if (it == address_book.end()) return HttpResponse::json(200, {{"code", 500}, {"msg", "未找到对应设备"}});
    return HttpResponse::json(
        200, {{"code", 0}, {"msg", "success"}, {"data", {{"status", it->second.first}, {"message", it->second.second}}}});
  }

  // ---------------------------------------------------------------- Home Assistant
  bool authorized(const HttpRequest& req) const { return req.header("authorization") == "Bearer " + hass_token; }

  HttpResponse hass_state(HttpRequest& req) {
    if (!authorized(req)) return HttpResponse::text(401, "401: Unauthorized");
    auto it = entities.find(req.params["id"]);
    if (it == entities.end()) return HttpResponse::json(404, {{"message", "Entity not found."}});
    return HttpResponse::json(200, it->second);
  }

  HttpResponse hass_service(HttpRequest& req) {
    if (!authorized(req)) return HttpResponse::text(401, "401: Unauthorized");
    const std::string domain = req.params["domain"], service = req.params["service"];
    json data = json::parse(req.body, nullptr, false);
    if (data.is_discarded()) return HttpResponse::json(400, {{"message", "Data should be valid JSON."}});
    static const std::map<std::string, std::vector<std::string>> kServices = {
        {"light", {"turn_on", "turn_off", "toggle"}},
        {"switch", {"turn_on", "turn_off", "toggle"}},
        {"fan", {"turn_on", "turn_off", "toggle"}},
        {"cover", {"open_cover", "close_cover", "stop_cover", "toggle"}},
        {"vacuum", {"start", "stop", "pause"}},
        {"media_player",
         {"turn_on", "turn_off", "toggle", "volume_up", "volume_down", "volume_set", "volume_mute", "media_pause",
          "media_play"}},
        {"music_assistant", {"play_media"}},
    };
    auto d = kServices.find(domain);
    if (d == kServices.end() || std::find(d->second.begin(), d->second.end(), service) == d->second.end())
      return HttpResponse::json(400, {{"message", "Service " + domain + "." + service + " not found."}});
    const std::string id = data.value("entity_id", std::string());
    auto it = entities.find(id);
    if (it == entities.end()) return HttpResponse::json(200, json::array());  // HA ignores unknown targets
    json& e = it->second;
    json& a = e["attributes"];
    if (service == "turn_on" || service == "open_cover" || service == "start") {
      e["state"] = domain == "cover" ? "open" : domain == "vacuum" ? "cleaning" : "on";
      if (data.contains("brightness_pct")) a["brightness"] = std::lround(data["brightness_pct"].get<double>() * 255 / 100);
      if (data.contains("brightness_step_pct")) {
        long b = a.value("brightness", 0L) + std::lround(data["brightness_step_pct"].get<double>() * 255 / 100);
        a["brightness"] = std::clamp(b, 0L, 255L);
      }
      if (data.contains("rgb_color")) a["rgb_color"] = data["rgb_color"];
      if (data.contains("color_temp_kelvin")) a["color_temp_kelvin"] = data["color_temp_kelvin"];
    } else if (service == "turn_off" || service == "close_cover" || service == "stop") {
      e["state"] = domain == "cover" ? "closed" : domain == "vacuum" ? "docked" : "off";
    } else if (service == "toggle") {
      e["state"] = e["state"] == "on" ? "off" : "on";
    } else if (service == "volume_set") {
      if (!data.contains("volume_level")) return HttpResponse::json(400, {{"message", "required key not provided @ data['volume_level']"}});
      a["volume_level"] = data["volume_level"];
    } else if (service == "volume_up" || service == "volume_down") {
      double v = a.value("volume_level", 0.5) + (service == "volume_up" ? 0.1 : -0.1);
      a["volume_level"] = std::clamp(v, 0.0, 1.0);
    } else if (service == "volume_mute") {
      if (!data.contains("is_volume_muted") || !data["is_volume_muted"].is_boolean())
        return HttpResponse::json(400, {{"message", "expected bool for dictionary value @ data['is_volume_muted']"}});
      a["is_volume_muted"] = data["is_volume_muted"];
    } else if (service == "media_pause" || service == "pause") {
      e["state"] = "paused";
    } else if (service == "media_play") {
      e["state"] = "playing";
    } else if (service == "play_media") {
      e["state"] = "playing";
      a["media_title"] = data.value("media_id", std::string());
    }
    e["last_changed"] = "2024-01-10T12:00:00.000000+00:00";
    return HttpResponse::json(200, json::array({e}));
  }
};

FakeHttpApis::FakeHttpApis() : impl_(std::make_unique<Impl>()) {
  auto router = std::make_shared<net::HttpRouter>();
  router->add("GET", "/v1/search", impl_->wrap(&Impl::geocode));
  router->add("GET", "/v1/forecast", impl_->wrap(&Impl::forecast_answer));
  router->add("POST", "/search", impl_->wrap(&Impl::tavily));
  router->add("GET", "/search", impl_->wrap(&Impl::searxng));
  router->add("POST", "/api/v1/search", impl_->wrap(&Impl::metaso));
  router->add("GET", "/api/s", impl_->wrap(&Impl::newsnow_source));
  router->add("GET", "/pages/{name}", impl_->wrap(&Impl::page));
  router->add("GET", "/rss/{name}", impl_->wrap(&Impl::page));
  router->add("POST", "/api/v1/retrieval", impl_->wrap(&Impl::retrieval));
  router->add("GET", "/device/address-book/call", impl_->wrap(&Impl::address_book_call));
  router->add("GET", "/api/states/{id}", impl_->wrap(&Impl::hass_state));
  router->add("GET", "/ipJson.jsp", impl_->wrap(&Impl::ip_json));
  router->add("GET", "/v2/top-headlines", impl_->wrap(&Impl::newsapi_headlines));
  router->add("GET", "/geo/v2/city/lookup", impl_->wrap(&Impl::qweather_lookup));
  router->add("GET", "/weather/{page}", impl_->wrap(&Impl::qweather_page));
  router->add("GET", "/json", impl_->wrap(&Impl::ip_api_json));
  router->add("GET", "/json/{ip}", impl_->wrap(&Impl::ip_api_json));
  router->add("GET", "/v3/geocode/geo", impl_->wrap(&Impl::amap_geocode));
  router->add("GET", "/v3/place/around", impl_->wrap(&Impl::amap_around));
  router->add("GET", "/v3/place/text", impl_->wrap(&Impl::amap_text));
  router->add("POST", "/api/services/{domain}/{service}", impl_->wrap(&Impl::hass_service));
  impl_->rt.start();
  net::HttpServerOptions o;
  o.name = "fake-apis";
  o.address = "127.0.0.1";
  o.port = 0;
  impl_->server = std::make_unique<net::HttpServer>(impl_->rt, o, router);
  impl_->server->start();
  impl_->url = url();
}

FakeHttpApis::~FakeHttpApis() {
  impl_->server->stop_accepting();
  impl_->rt.stop();
  impl_->server.reset();
}

std::string FakeHttpApis::url() const { return "http://127.0.0.1:" + std::to_string(port()); }
std::uint16_t FakeHttpApis::port() const { return impl_->server->port(); }

void FakeHttpApis::add_place(FakePlace place) {
  std::lock_guard lk(impl_->mu);
  impl_->places.push_back(std::move(place));
}
void FakeHttpApis::set_forecast(FakeForecast forecast) {
  std::lock_guard lk(impl_->mu);
  impl_->forecast = std::move(forecast);
}
void FakeHttpApis::set_search_results(std::vector<FakeSearchResult> results) {
  std::lock_guard lk(impl_->mu);
  impl_->results = std::move(results);
}
void FakeHttpApis::set_tavily_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->tavily_key = std::move(key);
}
void FakeHttpApis::set_searxng_json_enabled(bool enabled) {
  std::lock_guard lk(impl_->mu);
  impl_->searxng_json = enabled;
}
void FakeHttpApis::set_metaso_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->metaso_key = std::move(key);
}
void FakeHttpApis::set_newsnow_items(std::string source_id, std::vector<FakeNewsItem> items) {
  std::lock_guard lk(impl_->mu);
  impl_->newsnow[std::move(source_id)] = std::move(items);
}
void FakeHttpApis::set_page(std::string path, std::string body, std::string content_type) {
  std::lock_guard lk(impl_->mu);
  impl_->pages[std::move(path)] = {200, std::move(body), std::move(content_type), ""};
}
void FakeHttpApis::set_redirect(std::string path, std::string location, int status) {
  std::lock_guard lk(impl_->mu);
  impl_->pages[std::move(path)] = {status, "", "text/html", std::move(location)};
}
void FakeHttpApis::set_ragflow_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->ragflow_key = std::move(key);
}
void FakeHttpApis::set_ragflow_chunks(std::string dataset_id, std::vector<std::string> contents) {
  std::lock_guard lk(impl_->mu);
  impl_->ragflow[std::move(dataset_id)] = std::move(contents);
}
void FakeHttpApis::set_manager_secret(std::string secret) {
  std::lock_guard lk(impl_->mu);
  impl_->manager_secret = std::move(secret);
}
void FakeHttpApis::add_address_book_entry(std::string caller_mac, std::string nickname, std::string gateway_status,
                                          std::string gateway_message) {
  std::lock_guard lk(impl_->mu);
  impl_->address_book[{std::move(caller_mac), std::move(nickname)}] = {std::move(gateway_status),
                                                                        std::move(gateway_message)};
}
void FakeHttpApis::add_ip_location(std::string ip, std::string province, std::string city, std::string isp) {
  std::lock_guard lk(impl_->mu);
  impl_->ip_places[std::move(ip)] = {std::move(province), std::move(city), std::move(isp)};
}
void FakeHttpApis::add_ip_api_place(std::string ip, std::string city, std::string region, std::string country,
                                    double lat, double lon) {
  std::lock_guard lk(impl_->mu);
  impl_->ip_api[std::move(ip)] = {std::move(city), std::move(region), std::move(country), lat, lon};
}
void FakeHttpApis::set_ip_api_caller(std::string ip) {
  std::lock_guard lk(impl_->mu);
  impl_->ip_api_caller = std::move(ip);
}
void FakeHttpApis::set_amap_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->amap_key = std::move(key);
}
void FakeHttpApis::add_amap_address(std::string address, std::string lng_lat, std::string formatted,
                                    std::string city) {
  std::lock_guard lk(impl_->mu);
  impl_->amap_addresses[std::move(address)] = {std::move(lng_lat), std::move(formatted), std::move(city)};
}
void FakeHttpApis::add_amap_poi(FakePoi poi) {
  std::lock_guard lk(impl_->mu);
  impl_->pois.push_back(std::move(poi));
}
void FakeHttpApis::set_newsapi_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->newsapi_key = std::move(key);
}
void FakeHttpApis::add_newsapi_article(std::string category, std::string title, std::string source, std::string url) {
  std::lock_guard lk(impl_->mu);
  impl_->newsapi.push_back({std::move(category), std::move(title), std::move(source), std::move(url)});
}
void FakeHttpApis::set_qweather_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->qweather_key = std::move(key);
}
void FakeHttpApis::add_qweather_city(FakeQWeatherCity city) {
  std::lock_guard lk(impl_->mu);
  impl_->qweather_cities.push_back(std::move(city));
}
void FakeHttpApis::set_hass_token(std::string token) {
  std::lock_guard lk(impl_->mu);
  impl_->hass_token = std::move(token);
}
void FakeHttpApis::set_entity(nlohmann::json state) {
  std::lock_guard lk(impl_->mu);
  if (!state.contains("attributes")) state["attributes"] = json::object();
  const std::string id = state.at("entity_id").get<std::string>();
  impl_->entities[id] = std::move(state);
}
nlohmann::json FakeHttpApis::entity(const std::string& id) const {
  std::lock_guard lk(impl_->mu);
  auto it = impl_->entities.find(id);
  return it == impl_->entities.end() ? json() : it->second;
}
void FakeHttpApis::fail_next(int status, std::string body) {
  std::lock_guard lk(impl_->mu);
  impl_->fail = std::make_pair(status, std::move(body));
}
void FakeHttpApis::delay_next(std::chrono::milliseconds delay) {
  std::lock_guard lk(impl_->mu);
  impl_->delay = delay;
}
std::vector<FakeHttpCall> FakeHttpApis::calls() const {
  std::lock_guard lk(impl_->mu);
  return impl_->calls;
}
std::size_t FakeHttpApis::call_count() const {
  std::lock_guard lk(impl_->mu);
  return impl_->calls.size();
}
FakeHttpCall FakeHttpApis::last_call() const {
  std::lock_guard lk(impl_->mu);
  if (impl_->calls.empty()) throw std::logic_error("FakeHttpApis: no call yet");
  return impl_->calls.back();
}

}  // namespace xz::test
