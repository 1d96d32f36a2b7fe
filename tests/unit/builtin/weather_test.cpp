// get_weather against a local fake of the Open-Meteo APIs.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/child_process.h"
#include "support/fake_http_apis.h"
#include "tools/builtin/get_weather.h"
#include "tools/builtin/qweather.h"
#include "tools/builtin/web_api.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct WeatherFixture : ::testing::Test {
  WeatherFixture() {
    fake.add_place({"Berlin", "Germany", "Land Berlin", 52.52437, 13.41053, "Europe/Berlin"});
    fake.add_place({"杭州", "中国", "浙江", 30.29365, 120.16142, "Asia/Shanghai"});
  }
  WeatherSettings settings() {
    WeatherSettings s;
    s.geocoding_url = fake.url() + "/v1/search";
    s.forecast_url = fake.url() + "/v1/forecast";
    s.default_location = "Berlin";
    s.timeout = 2s;
    return s;
  }
  FakeHttpApis fake;
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST_F(WeatherFixture, GeocodesThenReportsCurrentAndForecast) {
  GetWeather tool(settings(), http);
  auto r = call_tool(loop, tool, {{"location", "berlin"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_NE(r.result.find("Berlin (Land Berlin, Germany)"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("overcast"), std::string::npos);
  EXPECT_NE(r.result.find("-3.1°C"), std::string::npos);
  EXPECT_NE(r.result.find("feels like -7.5°C"), std::string::npos);
  EXPECT_NE(r.result.find("humidity 80%"), std::string::npos);
  EXPECT_NE(r.result.find("2024-01-11: slight snowfall, -4.2 to 0.5°C, chance of precipitation 80%"),
            std::string::npos)
      << r.result;

  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/v1/search");
  EXPECT_EQ(calls[0].query["name"], "berlin");
  EXPECT_EQ(calls[0].query["count"], "1");
  EXPECT_EQ(calls[1].path, "/v1/forecast");
  EXPECT_EQ(calls[1].query["latitude"], "52.5244");
  EXPECT_EQ(calls[1].query["longitude"], "13.4105");
  EXPECT_EQ(calls[1].query["forecast_days"], "3");
  EXPECT_NE(calls[1].query["current"].find("weather_code"), std::string::npos);
}

TEST_F(WeatherFixture, DefaultLocationChineseWordsAndCache) {
  GetWeather tool(settings(), http);
  auto r = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  ASSERT_EQ(r.action, Action::reqllm);
  EXPECT_NE(r.result.find("Berlin"), std::string::npos);
  EXPECT_NE(r.result.find("阴"), std::string::npos) << r.result;
  EXPECT_EQ(fake.calls()[0].query["language"], "zh");
  // The same place again within the cache time: no new requests.
  auto again = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(again.result, r.result);
  EXPECT_EQ(fake.call_count(), 2u);

  auto hz = call_tool(loop, tool, {{"location", "杭州"}, {"lang", "zh"}}, session);
  ASSERT_EQ(hz.action, Action::reqllm);
  EXPECT_NE(hz.result.find("杭州 (浙江, 中国)"), std::string::npos) << hz.result;
  EXPECT_EQ(fake.calls()[2].query["name"], "杭州");  // percent-decoded by the fake
  EXPECT_NE(fake.calls()[2].target.find("%E6%9D%AD%E5%B7%9E"), std::string::npos);
}

TEST_F(WeatherFixture, CacheCanBeTurnedOff) {
  auto s = settings();
  s.cache_ttl = 0s;
  GetWeather tool(s, http);
  call_tool(loop, tool, {{"location", "Berlin"}}, session);
  call_tool(loop, tool, {{"location", "Berlin"}}, session);
  EXPECT_EQ(fake.call_count(), 4u);
}

TEST_F(WeatherFixture, PlaceWithCountryFallsBackToTheCityName) {
  GetWeather tool(settings(), http);
  auto r = call_tool(loop, tool, {{"location", "Berlin, Germany"}}, session);
  ASSERT_EQ(r.action, Action::reqllm);
  EXPECT_EQ(fake.calls()[1].query["name"], "Berlin");
}

TEST_F(WeatherFixture, UnknownPlaceIsNotFound) {
  GetWeather tool(settings(), http);
  auto r = call_tool(loop, tool, {{"location", "Atlantis"}}, session);
  EXPECT_EQ(r.action, Action::not_found);
  EXPECT_NE(r.response.find("Atlantis"), std::string::npos);
  EXPECT_EQ(fake.call_count(), 1u);
}

TEST_F(WeatherFixture, ApiFailuresAreFriendlyErrors) {
  GetWeather tool(settings(), http);
  fake.fail_next(500, R"({"error":true,"reason":"Internal error"})");
  auto r = call_tool(loop, tool, {{"location", "Berlin"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_NE(r.response.find("couldn't get the weather"), std::string::npos);
  EXPECT_NE(r.result.find("HTTP 500"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("Internal error"), std::string::npos) << r.result;

  // A failure is not cached: the next call goes out again and succeeds.
  auto ok = call_tool(loop, tool, {{"location", "Berlin"}}, session);
  EXPECT_EQ(ok.action, Action::reqllm);

  fake.fail_next(200, "<html>not json</html>");
  auto garbage = call_tool(loop, tool, {{"location", "Hamburg"}}, session);
  EXPECT_EQ(garbage.action, Action::error);
  EXPECT_NE(garbage.result.find("not JSON"), std::string::npos) << garbage.result;
}

TEST_F(WeatherFixture, SlowAndUnreachableApisTimeOut) {
  auto s = settings();
  s.timeout = 300ms;
  GetWeather tool(s, http);
  fake.delay_next(3s);
  const auto start = std::chrono::steady_clock::now();
  auto r = call_tool(loop, tool, {{"location", "Berlin"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_NE(r.result.find("timed out"), std::string::npos) << r.result;

  auto closed = settings();
  closed.geocoding_url = "http://127.0.0.1:" + std::to_string(xz::test::free_port()) + "/v1/search";
  GetWeather nowhere(closed, http);
  auto r2 = call_tool(loop, nowhere, {{"location", "Berlin"}}, session);
  EXPECT_EQ(r2.action, Action::error);
  EXPECT_FALSE(r2.result.empty());
}

TEST(WeatherSettings, ReadsAndChecksConfig) {
  nlohmann::json root = nlohmann::json::object();
  xz::core::set_path(root, "plugins.get_weather.default_location", "Paris");
  xz::core::set_path(root, "plugins.get_weather.timeout", 3);
  xz::core::set_path(root, "plugins.get_weather.forecast_url", "ftp://example.com");
  xz::core::set_path(root, "plugins.get_weather.cache_seconds", -5);
  std::vector<std::string> problems;
  auto s = WeatherSettings::from(PluginConfig(xz::core::Config(root), "get_weather", problems));
  EXPECT_EQ(s.default_location, "Paris");
  EXPECT_EQ(s.timeout, 3000ms);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("plugins.get_weather.cache_seconds"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("plugins.get_weather.forecast_url: expected an http(s) URL"), std::string::npos);
}

TEST(WeatherCodes, EnglishAndChinese) {
  EXPECT_EQ(weather_code_text(0, "en"), "clear sky");
  EXPECT_EQ(weather_code_text(63, "zh"), "中雨");
  EXPECT_EQ(weather_code_text(42, "en"), "weather code 42");
}

namespace {

// The reference's scheme: QWeather's city lookup, then the city's qweather.com page.
struct QWeatherFixture : WeatherFixture {
  QWeatherFixture() { fake.add_qweather_city({"广州", "101280101", "广东省", "guangzhou"}); }
  WeatherSettings qweather() {
    WeatherSettings s = settings();
    s.use_qweather = true;
    s.api_host = fake.url();
    s.api_key = "qw-test";
    s.default_location = "广州";
    s.allow_private_links = true;  // the fake's pages are on 127.0.0.1
    return s;
  }
};

}  // namespace

TEST_F(QWeatherFixture, LooksUpTheCityThenReadsItsPage) {
  GetWeather tool(qweather(), http);
  auto r = call_tool(loop, tool, {{"location", "广州"}, {"lang", "zh_CN"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_EQ(r.result,
            "您查询的位置是：广州\n\n当前天气: 多云，比昨天热，现在29°\n详细参数：\n  · 东南风: 2级\n  · 相对湿度: 72%\n"
            "  · 体感温度: 31°\n\n未来7天预报：\n今天: 多云，气温 26°~33°\n明天: 小雨，气温 25°~30°\n"
            "周三: 晴，气温 27°~34°\n\n（如需某一天的具体天气，请告诉我日期）");
  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/geo/v2/city/lookup");
  EXPECT_EQ(calls[0].query["key"], "qw-test");
  EXPECT_EQ(calls[0].query["location"], "广州");
  EXPECT_EQ(calls[0].query["lang"], "zh");
  EXPECT_EQ(calls[1].path, "/weather/guangzhou-101280101.html");
  // Cached like the Open-Meteo reports.
  call_tool(loop, tool, {{"location", "广州"}, {"lang", "zh_CN"}}, session);
  EXPECT_EQ(fake.call_count(), 2u);
}

TEST_F(QWeatherFixture, WithoutALocationTheDevicesCityThenTheDefault) {
  fake.add_qweather_city({"杭州", "101210101", "浙江省", "hangzhou"});
  GetWeather tool(qweather(), http);
  session.city = "杭州";
  auto r = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_EQ(r.result.rfind("您查询的位置是：杭州", 0), 0u) << r.result;
  session.city.clear();
  auto d = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(d.result.rfind("您查询的位置是：广州", 0), 0u) << d.result;
}

TEST_F(QWeatherFixture, UnknownCityBadKeyAndNoServiceAreSaidSo) {
  GetWeather tool(qweather(), http);
  auto unknown = call_tool(loop, tool, {{"location", "亚特兰蒂斯"}}, session);
  EXPECT_EQ(unknown.action, Action::not_found);
  EXPECT_NE(unknown.response.find("亚特兰蒂斯"), std::string::npos);

  auto s = qweather();
  s.api_key = "wrong";
  GetWeather bad(s, http);
  auto refused = call_tool(loop, bad, {{"location", "广州"}}, session);
  EXPECT_EQ(refused.action, Action::error);
  EXPECT_NE(refused.result.find("HTTP 401"), std::string::npos) << refused.result;
  EXPECT_NE(refused.result.find("Unauthorized"), std::string::npos) << refused.result;

  s = qweather();
  s.api_host = "http://127.0.0.1:" + std::to_string(xz::test::free_port());  // refuses connections
  GetWeather down(s, http);
  auto failed = call_tool(loop, down, {{"location", "广州"}}, session);
  EXPECT_EQ(failed.action, Action::error);
  EXPECT_NE(failed.response.find("couldn't get the weather"), std::string::npos);

  // A city page pointing into a private network is refused unless allowed.
  s = qweather();
  s.allow_private_links = false;
  GetWeather guarded(s, http);
  auto privately = call_tool(loop, guarded, {{"location", "广州"}}, session);
  EXPECT_EQ(privately.action, Action::error);
  EXPECT_NE(privately.result.find("private network"), std::string::npos) << privately.result;
}

TEST(WeatherSettings, TheReferencesQWeatherKeysSelectQWeather) {
  nlohmann::json root = nlohmann::json::object();
  xz::core::set_path(root, "plugins.get_weather",
                     {{"api_host", "mj7p3y7naa.re.qweatherapi.com"}, {"api_key", "abc"}, {"default_location", "广州"}});
  std::vector<std::string> problems;
  auto s = WeatherSettings::from(PluginConfig(xz::core::Config(root), "get_weather", problems));
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(s.use_qweather);
  EXPECT_EQ(s.api_host, "mj7p3y7naa.re.qweatherapi.com");

  xz::core::set_path(root, "plugins.get_weather.provider", "open-meteo");
  EXPECT_FALSE(WeatherSettings::from(PluginConfig(xz::core::Config(root), "get_weather", problems)).use_qweather);
  xz::core::set_path(root, "plugins.get_weather.provider", "auto");
  xz::core::set_path(root, "plugins.get_weather.api_key", "你的api_key");
  EXPECT_FALSE(WeatherSettings::from(PluginConfig(xz::core::Config(root), "get_weather", problems)).use_qweather);
  xz::core::set_path(root, "plugins.get_weather.provider", "qweather");
  WeatherSettings::from(PluginConfig(xz::core::Config(root), "get_weather", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("qweather needs"), std::string::npos);
}

TEST(QWeatherPage, ReadsWhatTheReferenceReadsAndRefusesOtherPages) {
  const std::string html =
      "<h1 class='c-submenu__location'>深圳 <span>市</span></h1>"
      "<div class=c-city-weather-current><div class=current-abstract>晴</div><div class='current-basic'>"
      "<div class=current-basic___item><p>1级</p><p>北风</p></div><div class=current-basic___item><p>x</p></div>"
      "</div></div><div class='city-forecast-tabs__row'><div class=date-bg><p class=date>今天</p>"
      "<img class=icon src=/img/icon/104.svg></div><div class=tmp-cont><p class=temp>20°</div></div>";
  auto page = parse_qweather_page(html);
  EXPECT_EQ(page.city, "深圳市");
  EXPECT_EQ(page.abstract, "晴");
  ASSERT_EQ(page.basics.size(), 1u);  // an item without two parts is left out, as the reference does
  EXPECT_EQ(page.basics[0], (std::pair<std::string, std::string>{"北风", "1级"}));
  ASSERT_EQ(page.days.size(), 1u);
  EXPECT_EQ(page.days[0].weather, "阴");
  EXPECT_EQ(page.days[0].high, "");  // one temperature: none, as the reference reads it
  EXPECT_THROW(parse_qweather_page("<html><body><h1>Login</h1></body></html>"), WebApiError);
  EXPECT_EQ(qweather_icon_text("305"), "小雨");
}
