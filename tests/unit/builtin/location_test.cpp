// get_location (ip-api.com, then Open-Meteo geocoding) and get_place_info (Amap)
// against local fakes of those APIs.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/child_process.h"
#include "support/fake_http_apis.h"
#include "tools/builtin/get_location.h"
#include "tools/builtin/get_place_info.h"
#include "tools/builtin/web_api.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct LocationFixture : ::testing::Test {
  LocationFixture() {
    fake.add_ip_api_place("36.112.0.7", "Hangzhou", "Zhejiang", "China", 30.29, 120.16);
    fake.add_ip_api_place("203.0.113.9", "Guangzhou", "Guangdong", "China");
    fake.add_place({"广州", "中国", "广东", 23.11, 113.25, "Asia/Shanghai"});
  }
  GetLocationSettings location_settings() {
    GetLocationSettings s;
    s.ip_api_url = fake.url() + "/json/{ip}";
    s.geocoding_url = fake.url() + "/v1/search";
    s.default_location = "广州";
    s.timeout = 2s;
    return s;
  }
  FakeHttpApis fake;
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST(IpApiAnswer, ReadsSuccessOnly) {
  auto p = ip_api_place(json::parse(
      R"({"status":"success","country":"China","regionName":"Zhejiang","city":"Hangzhou","lat":30.29,"lon":120.16})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->city, "Hangzhou");
  EXPECT_EQ(p->region, "Zhejiang");
  EXPECT_DOUBLE_EQ(p->longitude, 120.16);
  EXPECT_FALSE(ip_api_place(json::parse(R"({"status":"fail","message":"private range","query":"10.0.0.1"})")));
  EXPECT_FALSE(ip_api_place(json::parse(R"({"status":"success","city":7})")));
  EXPECT_FALSE(ip_api_place(json::parse("[1,2]")));
  EXPECT_TRUE(private_or_unknown_ip("192.168.1.20"));
  EXPECT_TRUE(private_or_unknown_ip("::1"));
  EXPECT_TRUE(private_or_unknown_ip(""));
  EXPECT_FALSE(private_or_unknown_ip("36.112.0.7"));
  EXPECT_FALSE(private_or_unknown_ip("2001:4860::8888"));
}

TEST_F(LocationFixture, APublicAddressIsLocatedByIpApi) {
  GetLocation tool(location_settings(), http);
  session.client_ip_ = "36.112.0.7";
  auto r = call_tool(loop, tool, json::object(), session);
  ASSERT_EQ(r.action, Action::reqllm);
  EXPECT_EQ(r.result, "I detected you are in Hangzhou, Zhejiang, China (based on IP address).");
  ASSERT_EQ(fake.call_count(), 1u);
  EXPECT_EQ(fake.last_call().path, "/json/36.112.0.7");
}

TEST_F(LocationFixture, APrivateAddressIsLocatedAsTheCallerOfIpApi) {
  GetLocation tool(location_settings(), http);
  session.client_ip_ = "192.168.1.20";
  auto r = call_tool(loop, tool, json::object(), session);
  EXPECT_EQ(r.result, "I detected you are in Guangzhou, Guangdong, China (based on IP address).");
  EXPECT_EQ(fake.last_call().path, "/json/");  // the device's private address is not sent
}

TEST_F(LocationFixture, WithoutAnIpPlaceTheDefaultLocationIsGeocoded) {
  GetLocation tool(location_settings(), http);
  session.client_ip_ = "198.51.100.1";  // ip-api.com: "invalid query"
  auto r = call_tool(loop, tool, json::object(), session);
  ASSERT_EQ(r.action, Action::reqllm);
  EXPECT_EQ(r.result, "You are currently in 广州, 广东 (set via the configured default location).");
  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].query["name"], "广州");
}

TEST_F(LocationFixture, WithTheServicesDownItSaysItCannotTell) {
  auto s = location_settings();
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(xz::test::free_port());  // refuses connections
  s.ip_api_url = nowhere + "/json/{ip}";
  s.geocoding_url = nowhere + "/v1/search";
  GetLocation tool(s, http);
  session.client_ip_ = "36.112.0.7";
  auto r = call_tool(loop, tool, json::object(), session);
  ASSERT_EQ(r.action, Action::reqllm);
  EXPECT_EQ(r.result, "I couldn't determine your location.");
}

TEST(AmapAnswers, ReadsGeocodesAndPoisWithAmapsEmptyValues) {
  auto geo = amap_geocode_answer(json::parse(
      R"({"status":"1","info":"OK","count":"1","geocodes":[{"formatted_address":"浙江省杭州市西湖区西湖","district":[],"location":"120.141375,30.246258"}]})"));
  ASSERT_TRUE(geo);
  EXPECT_EQ(geo->longitude, "120.141375");
  EXPECT_EQ(geo->latitude, "30.246258");
  EXPECT_FALSE(amap_geocode_answer(json::parse(R"({"status":"1","count":"0","geocodes":[]})")));
  EXPECT_FALSE(amap_geocode_answer(json::parse(R"({"status":"1","geocodes":[{"location":[]}]})")));

  auto pois = amap_poi_answer(json::parse(
      R"({"status":"1","pois":[{"name":"楼外楼","address":"孤山路30号","distance":"120","tel":[],"biz_ext":{"rating":"4.6"}},{"name":"无名","address":[],"biz_ext":[]},7]})"));
  ASSERT_EQ(pois.size(), 2u);
  EXPECT_EQ(pois[0].rating, "4.6");
  EXPECT_EQ(pois[0].tel, "");
  EXPECT_EQ(pois[1].address, "");
  try {
    amap_poi_answer(json::parse(R"({"status":"0","info":"INVALID_USER_KEY","infocode":"10001"})"));
    FAIL() << "no error";
  } catch (const WebApiError& e) {
    EXPECT_NE(std::string(e.what()).find("INVALID_USER_KEY"), std::string::npos);
  }
  EXPECT_EQ(describe_places({}, "杭州"), "抱歉，在杭州附近没有找到符合条件的场所。");
}

namespace {

struct PlaceFixture : LocationFixture {
  PlaceFixture() {
    fake.add_amap_address("西湖", "120.141375,30.246258", "浙江省杭州市西湖区西湖", "杭州市");
    fake.add_amap_poi({"楼外楼", "孤山路30号", "杭州市", "餐厅", "120", "0571-87969023", "4.6"});
    fake.add_amap_poi({"知味观", "", "杭州市", "餐厅", "", "", ""});
    fake.add_amap_poi({"北京饭店", "东长安街33号", "北京", "餐厅", "", "010-65137766", ""});
  }
  PlaceInfoSettings place_settings() {
    PlaceInfoSettings s;
    s.api_key = "amap-test";
    s.api_url = fake.url();
    s.timeout = 2s;
    return s;
  }
};

}  // namespace

TEST_F(PlaceFixture, ANamedPlaceIsGeocodedAndSearchedAround) {
  GetPlaceInfo tool(place_settings(), http);
  auto r = call_tool(loop, tool, {{"location", "西湖"}, {"keyword", "餐厅"}, {"radius", 500}, {"lang", "zh_CN"}},
                     session);
  ASSERT_EQ(r.action, Action::reqllm) << r.response;
  EXPECT_NE(r.result.find("在浙江省杭州市西湖区西湖附近找到以下场所："), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("1. 楼外楼\n   孤山路30号\n   距离约120米，评分4.6，电话：0571-87969023"), std::string::npos)
      << r.result;
  EXPECT_NE(r.result.find("2. 知味观\n   地址未知"), std::string::npos) << r.result;
  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/v3/geocode/geo");
  EXPECT_EQ(calls[0].query["key"], "amap-test");
  EXPECT_EQ(calls[0].query["address"], "西湖");
  EXPECT_EQ(calls[1].path, "/v3/place/around");
  EXPECT_EQ(calls[1].query["location"], "120.141375,30.246258");
  EXPECT_EQ(calls[1].query["keywords"], "餐厅");
  EXPECT_EQ(calls[1].query["radius"], "500");
  EXPECT_EQ(calls[1].query["extensions"], "all");
}

TEST_F(PlaceFixture, WithoutAPlaceTheDevicesCityElseTheDefaultCityIsSearched) {
  GetPlaceInfo tool(place_settings(), http);
  session.city = "杭州市";
  auto r = call_tool(loop, tool, {{"keyword", "餐厅"}, {"lang", "zh_CN"}}, session);
  EXPECT_NE(r.result.find("在杭州市附近找到以下场所"), std::string::npos) << r.result;
  EXPECT_EQ(fake.last_call().path, "/v3/place/text");
  EXPECT_EQ(fake.last_call().query["city"], "杭州市");
  EXPECT_EQ(fake.last_call().query["citylimit"], "true");

  session.city.clear();
  auto d = call_tool(loop, tool, {{"keyword", "餐厅"}, {"lang", "zh_CN"}}, session);
  EXPECT_NE(d.result.find("1. 北京饭店"), std::string::npos) << d.result;
  EXPECT_EQ(fake.last_call().query["city"], "北京");

  auto unknown = call_tool(loop, tool, {{"location", "火星基地"}, {"keyword", "餐厅"}}, session);
  EXPECT_EQ(unknown.result, "抱歉，无法找到位置：火星基地，请提供更准确的位置信息。");
}

TEST_F(PlaceFixture, AMissingKeyAWrongKeyAndNoServiceAreSaidSo) {
  auto s = place_settings();
  s.api_key.clear();
  GetPlaceInfo unconfigured(s, http);
  auto none = call_tool(loop, unconfigured, {{"keyword", "餐厅"}}, session);
  EXPECT_EQ(none.action, Action::reqllm);
  EXPECT_NE(none.result.find("plugins.get_place_info.api_key"), std::string::npos);
  EXPECT_EQ(fake.call_count(), 0u);

  s.api_key = "wrong";
  GetPlaceInfo wrong(s, http);
  auto refused = call_tool(loop, wrong, {{"keyword", "餐厅"}}, session);
  EXPECT_EQ(refused.action, Action::error);
  EXPECT_FALSE(refused.response.empty());
  EXPECT_NE(refused.result.find("INVALID_USER_KEY"), std::string::npos) << refused.result;

  s.api_url = "http://127.0.0.1:" + std::to_string(xz::test::free_port());  // refuses connections
  s.api_key = "amap-test";
  GetPlaceInfo down(s, http);
  auto failed = call_tool(loop, down, {{"location", "西湖"}, {"keyword", "餐厅"}}, session);
  EXPECT_EQ(failed.action, Action::error);
  EXPECT_NE(failed.response.find("map service"), std::string::npos);
  EXPECT_NE(failed.result.find("key=***"), std::string::npos) << failed.result;  // the key is not logged
  EXPECT_EQ(failed.result.find("amap-test"), std::string::npos) << failed.result;
}

TEST(PlaceInfoSettings, ReadsTheKeysAndTreatsThePlaceholderAsNoKey) {
  json root = json::object();
  xz::core::set_path(root, "plugins.get_place_info",
                     {{"api_key", "你的高德地图api_key"}, {"default_city", "杭州"}, {"api_url", "http://amap.local/"}});
  std::vector<std::string> problems;
  auto s = PlaceInfoSettings::from(PluginConfig(xz::core::Config(root), "get_place_info", problems));
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(s.api_key, "");
  EXPECT_EQ(s.default_city, "杭州");
  EXPECT_EQ(s.api_url, "http://amap.local");
}
