#include "tools/builtin/qweather.h"

#include <fmt/format.h>

#include "tools/builtin/html_tree.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

std::string text_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? utf8_truncate(it->get<std::string>(), 500) : std::string();
}

std::vector<std::string> split_spaces(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

std::optional<QWeatherCity> qweather_city_answer(const nlohmann::json& answer) {
  if (!answer.is_object()) throw WebApiError("QWeather sent an answer that is not an object", 200);
  const std::string code = text_field(answer, "code");
  if (code == "404") return std::nullopt;
  if (!code.empty() && code != "200")
    throw WebApiError(fmt::format("QWeather's city lookup answered code {}", code), 200);
  auto list = answer.find("location");
  if (list == answer.end() || !list->is_array() || list->empty() || !(*list)[0].is_object()) return std::nullopt;
  const auto& c = (*list)[0];
  QWeatherCity city{text_field(c, "name"), text_field(c, "id"), text_field(c, "adm1"),
                    text_field(c, "adm2"), text_field(c, "country"), text_field(c, "fxLink")};
  if (city.fx_link.empty()) throw WebApiError("QWeather's city lookup sent a city without fxLink", 200);
  return city;
}

std::string qweather_icon_text(std::string_view code) {
  struct Icon {
    std::string_view code, text;
  };
  // https://dev.qweather.com/docs/resource/icons/ (the day and night codes).
  static constexpr Icon kIcons[] = {
      {"100", "晴"},        {"101", "多云"},        {"102", "少云"},        {"103", "晴间多云"},   {"104", "阴"},
      {"150", "晴"},        {"151", "多云"},        {"152", "少云"},        {"153", "晴间多云"},   {"300", "阵雨"},
      {"301", "强阵雨"},    {"302", "雷阵雨"},      {"303", "强雷阵雨"},    {"304", "雷阵雨伴有冰雹"}, {"305", "小雨"},
      {"306", "中雨"},      {"307", "大雨"},        {"308", "极端降雨"},    {"309", "毛毛雨/细雨"}, {"310", "暴雨"},
      {"311", "大暴雨"},    {"312", "特大暴雨"},    {"313", "冻雨"},        {"314", "小到中雨"},   {"315", "中到大雨"},
      {"316", "大到暴雨"},  {"317", "暴雨到大暴雨"}, {"318", "大暴雨到特大暴雨"}, {"350", "阵雨"}, {"351", "强阵雨"},
      {"399", "雨"},        {"400", "小雪"},        {"401", "中雪"},        {"402", "大雪"},       {"403", "暴雪"},
      {"404", "雨夹雪"},    {"405", "雨雪天气"},    {"406", "阵雨夹雪"},    {"407", "阵雪"},       {"408", "小到中雪"},
      {"409", "中到大雪"},  {"410", "大到暴雪"},    {"456", "阵雨夹雪"},    {"457", "阵雪"},       {"499", "雪"},
      {"500", "薄雾"},      {"501", "雾"},          {"502", "霾"},          {"503", "扬沙"},       {"504", "浮尘"},
      {"507", "沙尘暴"},    {"508", "强沙尘暴"},    {"509", "浓雾"},        {"510", "强浓雾"},     {"511", "中度霾"},
      {"512", "重度霾"},    {"513", "严重霾"},      {"514", "大雾"},        {"515", "特强浓雾"},   {"900", "热"},
      {"901", "冷"},        {"999", "未知"},
  };
  for (const auto& i : kIcons)
    if (i.code == code) return std::string(i.text);
  return "未知";
}

QWeatherPage parse_qweather_page(std::string_view html) {
  const auto root = parse_html(html);
  QWeatherPage page;
  if (const HtmlNode* h1 = html_select_one(*root, "h1.c-submenu__location")) page.city = html_text_of(*h1);
  if (page.city.empty()) throw WebApiError("the QWeather page has no city name (h1.c-submenu__location)", 200);
  page.city = utf8_truncate(page.city, 200);
  const HtmlNode* abstract = html_select_one(*root, ".c-city-weather-current .current-abstract");
  page.abstract = abstract ? utf8_truncate(html_text_of(*abstract), 600) : "未知";
  for (const HtmlNode* item : html_select(*root, ".c-city-weather-current .current-basic .current-basic___item")) {
    const auto parts = split_spaces(html_text_of(*item, " "));
    if (parts.size() == 2 && page.basics.size() < 20)
      page.basics.emplace_back(utf8_truncate(parts[1], 100), utf8_truncate(parts[0], 100));
  }
  for (const HtmlNode* row : html_select(*root, ".city-forecast-tabs__row")) {
    if (page.days.size() >= 7) break;
    QWeatherDay day;
    if (const HtmlNode* date = html_select_one(*row, ".date-bg .date")) day.date = utf8_truncate(html_text_of(*date), 100);
    std::string code;
    if (const HtmlNode* icon = html_select_one(*row, ".date-bg .icon")) {
      const std::string src = icon->attribute("src");
      const std::string file = src.substr(src.find_last_of('/') == std::string::npos ? 0 : src.find_last_of('/') + 1);
      code = file.substr(0, file.find('.'));
    }
    day.weather = qweather_icon_text(code);
    std::vector<std::string> temps;
    for (const HtmlNode* t : html_select(*row, ".tmp-cont .temp")) temps.push_back(utf8_truncate(html_text_of(*t), 40));
    if (temps.size() >= 2) {
      day.high = temps.front();
      day.low = temps.back();
    }
    page.days.push_back(std::move(day));
  }
  return page;
}

std::string qweather_report(const QWeatherPage& page) {
  std::string text = fmt::format("您查询的位置是：{}\n\n当前天气: {}\n", page.city, page.abstract);
  if (!page.basics.empty()) {
    text += "详细参数：\n";
    for (const auto& [key, value] : page.basics)
      if (value != "0") text += fmt::format("  · {}: {}\n", key, value);
  }
  text += "\n未来7天预报：\n";
  for (const auto& d : page.days) text += fmt::format("{}: {}，气温 {}~{}\n", d.date, d.weather, d.low, d.high);
  text += "\n（如需某一天的具体天气，请告诉我日期）";
  return text;
}

}  // namespace xz::tools::builtin
