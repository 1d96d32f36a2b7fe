#include "tools/builtin/get_place_info.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/log.h"
#include "protocol/percent_encoding.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

// An Amap value: a string, a number, or [] for "none".
std::string amap_text(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return utf8_truncate(it->get<std::string>(), 300);
  if (it->is_number()) return it->dump();
  return {};
}

void check_status(const nlohmann::json& answer) {
  if (!answer.is_object()) throw WebApiError("Amap sent an answer that is not an object", 200);
  if (amap_text(answer, "status") == "1") return;
  const std::string info = amap_text(answer, "info"), code = amap_text(answer, "infocode");
  throw WebApiError(fmt::format("Amap refused the request: {} ({})", info.empty() ? "no info" : info, code), 200);
}

}  // namespace

PlaceInfoSettings PlaceInfoSettings::from(const PluginConfig& cfg) {
  PlaceInfoSettings s;
  s.api_key = cfg.str("api_key", "");
  if (s.api_key.find("你的") != std::string::npos) s.api_key.clear();  // the reference's placeholder
  s.default_city = cfg.str("default_city", s.default_city);
  s.api_url = cfg.str("api_url", s.api_url);
  while (!s.api_url.empty() && s.api_url.back() == '/') s.api_url.pop_back();
  if (s.api_url.rfind("http://", 0) != 0 && s.api_url.rfind("https://", 0) != 0)
    cfg.problem("api_url", "expected an http(s) URL");
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 10, 0.1, 120) * 1000));
  s.description = cfg.description("");
  return s;
}

std::optional<AmapGeocode> amap_geocode_answer(const nlohmann::json& answer) {
  check_status(answer);
  auto list = answer.find("geocodes");
  if (list == answer.end() || !list->is_array() || list->empty()) return std::nullopt;
  const auto& g = (*list)[0];
  const std::string location = amap_text(g, "location");
  const auto comma = location.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 == location.size()) return std::nullopt;
  AmapGeocode out;
  out.longitude = location.substr(0, comma);
  out.latitude = location.substr(comma + 1);
  out.formatted_address = amap_text(g, "formatted_address");
  return out;
}

std::vector<AmapPoi> amap_poi_answer(const nlohmann::json& answer) {
  check_status(answer);
  std::vector<AmapPoi> out;
  auto list = answer.find("pois");
  if (list == answer.end() || !list->is_array()) return out;
  for (const auto& p : *list) {
    if (!p.is_object() || out.size() >= 50) continue;
    AmapPoi poi{amap_text(p, "name"), amap_text(p, "address"), amap_text(p, "distance"), "", amap_text(p, "tel")};
    if (auto biz = p.find("biz_ext"); biz != p.end()) poi.rating = amap_text(*biz, "rating");
    if (!poi.name.empty()) out.push_back(std::move(poi));
  }
  return out;
}

std::string describe_places(const std::vector<AmapPoi>& pois, const std::string& where) {
  if (pois.empty()) return fmt::format("抱歉，在{}附近没有找到符合条件的场所。", where);
  std::string text = fmt::format("在{}附近找到以下场所：\n\n", where);
  for (std::size_t i = 0; i < pois.size() && i < 10; ++i) {
    const auto& p = pois[i];
    std::string line = p.distance.empty() ? "" : fmt::format("距离约{}米", p.distance);
    if (!p.rating.empty()) line += fmt::format("，评分{}", p.rating);
    if (!p.tel.empty()) line += fmt::format("，电话：{}", p.tel);
    text += fmt::format("{}. {}\n   {}\n   {}\n\n", i + 1, p.name, p.address.empty() ? "地址未知" : p.address, line);
  }
  if (pois.size() > 10) text += fmt::format("共找到{}个结果，仅显示前10个。\n", pois.size());
  text += "如需了解更多信息，请告诉我具体的场所名称。";
  return text;
}

GetPlaceInfo::GetPlaceInfo(PlaceInfoSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)) {
  schema_.name = "get_place_info";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : "获取附近的商铺信息。基于用户位置(自动获取IP或用户指定)搜索附近商铺、餐厅、景点。例如用户说'附近有什么好吃的'"
            "或'杭州西湖附近有什么景点'。Find shops, restaurants or sights near the user or near a named place.";
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"location", {{"type", "string"}, {"description", "地点名，例如杭州西湖。可选参数，如果不提供则通过IP定位"}}},
        {"keyword", {{"type", "string"}, {"description", "搜索关键词，例如餐厅、咖啡厅、景点等"}}},
        {"radius", {{"type", "integer"}, {"description", "搜索半径，默认1000米"}}},
        {"lang", {{"type", "string"}, {"description", "返回用户使用的语言code，例如zh_CN/en_US，默认zh_CN"}}}}},
      {"required", {"keyword", "lang"}},
  };
}

boost::asio::awaitable<nlohmann::json> GetPlaceInfo::amap(std::string path,
                                                          std::vector<std::pair<std::string, std::string>> query) {
  std::string url = settings_.api_url + path + "?key=" + protocol::percent_encode(settings_.api_key);
  for (const auto& [k, v] : query) url += "&" + k + "=" + protocol::percent_encode(v);
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 2 << 20;
  co_return co_await fetch_json(*http_, std::move(req), "Amap");
}

boost::asio::awaitable<ToolResult> GetPlaceInfo::call(nlohmann::json arguments, SessionActions& session) {
  if (settings_.api_key.empty())
    co_return ToolResult::llm(
        "抱歉，未配置高德地图API密钥（plugins.get_place_info.api_key），无法获取位置信息。Place search is not configured.");
  const std::string location = string_arg(arguments, "location");
  std::string keyword = string_arg(arguments, "keyword");
  if (keyword.empty()) keyword = "餐厅";
  int radius = 1000;
  if (arguments.is_object() && arguments.contains("radius") && arguments["radius"].is_number())
    radius = static_cast<int>(std::clamp(arguments["radius"].get<double>(), 1.0, 50000.0));
  const core::SessionLog log(session.device_id(), session.session_id());
  try {
    std::vector<AmapPoi> places;
    std::string where;
    if (!location.empty()) {
      Query geo_query{{"address", location}, {"output", "json"}};
      auto geo = amap_geocode_answer(co_await amap("/v3/geocode/geo", std::move(geo_query)));
      if (!geo)
        co_return ToolResult::llm(fmt::format("抱歉，无法找到位置：{}，请提供更准确的位置信息。", location));
      where = geo->formatted_address.empty() ? location : geo->formatted_address;
      Query around{{"location", geo->longitude + "," + geo->latitude},
                   {"keywords", keyword},
                   {"radius", std::to_string(radius)},
                   {"offset", "20"},
                   {"page", "1"},
                   {"extensions", "all"}};
      places = amap_poi_answer(co_await amap("/v3/place/around", std::move(around)));
    } else {
      where = co_await session.client_city();
      if (where.empty()) where = settings_.default_city;
      Query text{{"keywords", keyword}, {"city", where},      {"citylimit", "true"},
                 {"offset", "20"},      {"page", "1"},         {"extensions", "all"}};
      places = amap_poi_answer(co_await amap("/v3/place/text", std::move(text)));
    }
    co_return ToolResult::llm(describe_places(places, where));
  } catch (const WebApiError& e) {
    log.warn("get_place_info({}, {}): {}", location, keyword, e.what());
    ToolResult r = ToolResult::failed("抱歉，地图服务暂时无法访问，请稍后再试。Sorry, the map service isn't reachable right now.");
    r.result = e.what();
    co_return r;
  }
}

}  // namespace xz::tools::builtin
